/* PixelView web panel: actions through the JSON API, live updates over SSE, relative times.
 *
 * window.PV.api(method, path, body)  the JSON API with the session cookie and its CSRF token
 * window.PV.refresh()                re-render this page's [data-live] regions from the server
 * window.PV.feed                     the live feed (an EventSource on /api/v1/events); pages
 *                                    and scripts listen with PV.feed.addEventListener("alert", ...)
 * Buttons and forms with data-api="METHOD /api/v1/..." call the API and refresh the page
 * (a button with data-then="/page" goes there instead; a multipart form sends its files).
 */
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const body = document.body;

  function toast(message, isError) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.className = isError ? "error" : "";
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 3000);
  }

  async function api(method, path, payload) {
    const headers = { "Accept": "application/json", "X-CSRF-Token": csrf };
    const init = { method, headers, credentials: "same-origin" };
    if (payload instanceof FormData) {
      init.body = payload;  // multipart: the browser sets Content-Type with its boundary
    } else if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new Error("the session has expired");
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      throw new Error((data && data.message) || response.status + " " + response.statusText);
    }
    return data;
  }

  /* ------------------------------------------------------------ relative times */

  function ago(date) {
    const seconds = (Date.now() - date.getTime()) / 1000;
    const abs = Math.abs(seconds);
    if (abs < 10) return "just now";
    let text;
    if (abs < 60) text = Math.floor(abs) + " s";
    else if (abs < 3600) text = Math.floor(abs / 60) + " min";
    else if (abs < 86400) {
      const h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60);
      text = h + " h" + (m ? " " + m + " min" : "");
    } else {
      const d = Math.floor(abs / 86400), h = Math.floor((abs % 86400) / 3600);
      text = d + " d" + (h ? " " + h + " h" : "");
    }
    return seconds > 0 ? text + " ago" : "in " + text;
  }

  function updateTimes(root) {
    for (const el of (root || document).querySelectorAll("time[datetime]")) {
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) continue;
      const format = el.dataset.format;
      if (format === "day") el.textContent = date.toLocaleDateString(undefined, { weekday: "short", day: "numeric" });
      else if (format === "hour") el.textContent = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
      else {
        el.textContent = ago(date);
        el.title = date.toLocaleString();
      }
    }
  }

  /* ------------------------------------------------------------ live regions */

  let refreshing = null, again = false, timer = null;
  // The HTML each region had from the server: a region the server renders the same is left
  // alone (its charts, open details and scroll stay as they are).
  const served = new WeakMap();
  for (const region of document.querySelectorAll("[data-live]")) served.set(region, region.outerHTML);

  async function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      try {
        const response = await fetch(location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" });
        if (response.redirected || !response.ok) return;
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const region of document.querySelectorAll("[data-live]")) {
          const next = doc.querySelector('[data-live="' + region.dataset.live + '"]');
          if (!next || next.outerHTML === served.get(region)) continue;
          const known = new Set(Array.from(region.querySelectorAll("[data-key]"), (el) => el.dataset.key));
          for (const el of next.querySelectorAll("[data-key]")) {
            if (!known.has(el.dataset.key) && el.tagName !== "TBODY") el.classList.add("fresh");
          }
          const adopted = document.importNode(next, true);
          served.set(adopted, next.outerHTML);
          region.replaceWith(adopted);
          updateTimes(adopted);
        }
        document.dispatchEvent(new CustomEvent("pv:refreshed"));
      } catch (error) {
        // The page is going away, or the server is out of reach: the next event tries again.
      } finally {
        refreshing = null;
        if (again) { again = false; schedule(); }
      }
    })();
    return refreshing;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  /* ------------------------------------------------------------ live feed */

  const wanted = (body.dataset.liveEvents || "").split(/\s+/).filter(Boolean);
  const incident = body.dataset.liveIncident ? Number(body.dataset.liveIncident) : null;
  let feed = null;

  function concerns(kind, data) {
    if (incident === null) return true;
    if (kind === "alert") return data.incident_id === incident;
    if (kind === "incident") return data.incident && data.incident.id === incident;
    return false;
  }

  if (csrf && window.EventSource) {
    // From the instant the page was rendered: nothing that changed since is missed.
    feed = new EventSource("/api/v1/events?after=" + encodeURIComponent(body.dataset.liveAfter || ""));
    const state = document.getElementById("live-state");
    feed.addEventListener("open", () => {
      if (state) { state.hidden = false; state.textContent = "live"; state.classList.remove("down"); }
    });
    feed.addEventListener("error", () => {
      if (state) { state.hidden = false; state.textContent = "reconnecting"; state.classList.add("down"); }
      // A refused stream (the session ended) is not retried by the browser: to the login.
      if (feed.readyState === EventSource.CLOSED) api("GET", "/api/v1/users/me").catch(() => {});
    });
    for (const kind of wanted) {
      feed.addEventListener(kind, (event) => {
        let data = null;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (concerns(kind, data)) schedule();
      });
    }
    window.addEventListener("pagehide", () => feed.close());
  }

  /* ------------------------------------------------------------ actions */

  function target(el) {
    const [method, path] = el.dataset.api.split(/\s+/, 2);
    return { method, path };
  }

  function formBody(form) {
    const payload = {};
    for (const [name, value] of new FormData(form).entries()) payload[name] = value === "" ? null : value;
    return payload;
  }

  function formFiles(form) {
    const data = new FormData(form);
    for (const [name, value] of Array.from(data.entries())) if (value === "") data.delete(name);
    return data;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-api]");
    if (!button) return;
    event.preventDefault();
    const { method, path } = target(button);
    let payload;
    if (button.dataset.prompt) {
      const note = window.prompt(button.dataset.prompt, "");
      if (note === null) return;
      payload = note ? { note } : undefined;
    }
    button.disabled = true;
    try {
      await api(method, path, payload);
      toast(button.textContent.trim() + ": done");
      if (button.dataset.then) { location.href = button.dataset.then; return; }
      await refresh();
    } catch (error) {
      toast(error.message, true);
    } finally {
      button.disabled = false;
    }
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    const { method, path } = target(form);
    const submit = form.querySelector("[type=submit]");
    if (submit) submit.disabled = true;
    try {
      const multipart = form.enctype === "multipart/form-data";
      const done = await api(method, path, multipart ? formFiles(form) : formBody(form));
      if ("reset" in form.dataset) form.reset();
      toast(done && done.runbook_id && done.status ? done.runbook_id + ": " + done.status : "Saved");
      await refresh();
    } catch (error) {
      toast(error.message, true);
    } finally {
      if (submit) submit.disabled = false;
    }
  });

  updateTimes();
  setInterval(updateTimes, 20000);
  window.PV = { api, refresh, toast, feed, updateTimes };
})();
