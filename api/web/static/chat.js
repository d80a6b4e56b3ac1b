/* PixelView chat page: a thread read from the chat API, each answer streamed step by step.
 *
 * A question is POST /api/v1/chat/threads/{id}/messages, answered as Server-Sent Events
 * (tool_call, tool_result, answer | error, then done). EventSource cannot POST, so the stream
 * is read with fetch() and a ReadableStream parser; the request carries the session cookie
 * and its CSRF token, as PV.api does. Everything shown is built with textContent (never HTML
 * from the server or the model). Links are structured (docs/chat.md) and made here:
 * incident -> its page, resource -> the inventory filtered to it, runbook -> the runbook page.
 */
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const conversation = document.getElementById("conversation");
  const form = document.getElementById("ask");
  const question = document.getElementById("question");
  const newThread = document.getElementById("new-thread");
  if (!conversation) return;
  let threadId = conversation.dataset.thread ? Number(conversation.dataset.thread) : null;
  let asking = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function toast(text, isError) {
    if (window.PV) window.PV.toast(text, isError);
  }

  /* ------------------------------------------------------------ links */

  function slug(heading) {
    return String(heading || "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function href(link) {
    if (link.type === "incident") return "/incidents/" + encodeURIComponent(String(link.incident_id));
    if (link.type === "runbook") {
      return "/runbooks/" + encodeURIComponent(link.runbook_id) + (link.section ? "#" + slug(link.section) : "");
    }
    if (link.type === "resource" && link.cloud === "kubernetes") {
      const q = new URLSearchParams();
      if (link.cluster) q.set("cluster", link.cluster);
      q.set("kind", link.kind);
      if (link.namespace) q.set("namespace", link.namespace);
      q.set("name", link.name);
      return "/inventory?" + q.toString();
    }
    return null;
  }

  function label(link) {
    if (link.type === "incident") return "incident " + link.incident_id;
    if (link.type === "runbook") return (link.title || link.runbook_id) + (link.section ? " › " + link.section : "");
    if (link.type === "resource") {
      const where = link.namespace ? link.namespace + "/" : "";
      return link.kind + " " + where + link.name + (link.cloud !== "kubernetes" ? " (" + link.cloud + ")" : "");
    }
    return JSON.stringify(link);
  }

  function links(list, limit) {
    const box = el("div", "chat-links");
    const shown = (list || []).slice(0, limit || 50);
    for (const link of shown) {
      const target = href(link);
      const node = target ? el("a", "chat-link link-" + link.type, label(link)) : el("span", "chat-link", label(link));
      if (target) node.href = target;
      box.append(node, " ");
    }
    if ((list || []).length > shown.length) box.append(el("small", "muted", "and " + (list.length - shown.length) + " more"));
    return box;
  }

  /* ------------------------------------------------------------ steps */

  function argumentsText(args) {
    return Object.entries(args || {}).map(([k, v]) => k + "=" + JSON.stringify(v)).join(", ");
  }

  function messageBox(text) {
    const box = el("article", "chat-message");
    box.append(el("p", "chat-question", text));
    const steps = el("ol", "chat-steps");
    box.append(steps);
    conversation.append(box);
    return box;
  }

  // The answer's text, with its citations ([t1]) linked to the steps they cite.
  function answerText(text, box) {
    const p = el("div", "chat-answer-text");
    const parts = String(text).split(/(\[t\d+\])/);
    for (const part of parts) {
      const cited = /^\[(t\d+)\]$/.exec(part);
      if (cited && box.querySelector('[data-call="' + cited[1] + '"]')) {
        const a = el("a", "cite", part);
        a.href = "#" + box.id + "-" + cited[1];
        p.append(a);
      } else {
        p.append(document.createTextNode(part));
      }
    }
    return p;
  }

  function render(box, step) {
    const steps = box.querySelector(".chat-steps");
    if (step.kind === "tool_call") {
      const li = el("li", "chat-step step-call running");
      li.dataset.call = step.call_id;
      li.id = box.id + "-" + step.call_id;
      const head = el("div", "step-head");
      head.append(el("code", "call-id", step.call_id), " ", el("code", "tool", step.tool), el("code", "args", "(" + argumentsText(step.arguments) + ")"));
      li.append(head);
      steps.append(li);
    } else if (step.kind === "tool_result") {
      let li = steps.querySelector('[data-call="' + step.call_id + '"]');
      if (!li) {
        li = el("li", "chat-step step-call");
        li.dataset.call = step.call_id;
        li.append(el("code", "tool", step.tool));
        steps.append(li);
      }
      li.classList.remove("running");
      li.classList.add(step.ok ? "ok" : "failed");
      const result = el("div", "step-result");
      result.append(el("span", "result-status status-" + step.status, step.ok ? step.status : "error"), " ", el("span", "summary", step.summary));
      if (step.links && step.links.length) result.append(links(step.links, 8));
      li.append(result);
    } else if (step.kind === "answer") {
      const answer = el("div", "chat-answer");
      answer.append(answerText(step.text, box));
      if (step.links && step.links.length) answer.append(links(step.links));
      const meta = el("small", "muted chat-meta", "mode " + step.mode + (step.citations && step.citations.length ? " · cites " + step.citations.join(", ") : ""));
      answer.append(meta);
      for (const flag of step.flags || []) answer.append(" ", el("span", "flag", flag));
      box.append(answer);
    } else if (step.kind === "error") {
      box.append(el("div", "chat-error", (step.code ? step.code + ": " : "") + step.message));
    }
  }

  function finish(box, message) {
    box.classList.remove("asking");
    for (const li of box.querySelectorAll(".chat-step.running")) li.classList.remove("running");
    if (message && message.status === "failed" && !box.querySelector(".chat-error, .chat-answer")) {
      box.append(el("div", "chat-error", message.error || "the question got no answer"));
    }
    box.dataset.status = message ? message.status : "failed";
  }

  /* ------------------------------------------------------------ the stream */

  // Server-Sent Events from a fetch() body: blocks separated by a blank line; `event:` and
  // `data:` fields (data lines joined by \n); comment lines (`: keep-alive`) ignored.
  async function* sse(response) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      buffer = buffer.replace(/\r\n/g, "\n");
      let at;
      while ((at = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let text = colon < 0 ? "" : line.slice(colon + 1);
          if (text.startsWith(" ")) text = text.slice(1);
          if (field === "event") event = text;
          else if (field === "data") data.push(text);
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  }

  async function errorOf(response) {
    if (response.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      return "the session has expired";
    }
    try {
      const body = await response.json();
      return body.message || response.status + " " + response.statusText;
    } catch (e) {
      return response.status + " " + response.statusText;
    }
  }

  async function createThread() {
    const created = await window.PV.api("POST", "/api/v1/chat/threads", {});
    return created;
  }

  function addThreadToList(thread, title) {
    const list = document.getElementById("threads");
    if (!list) return;
    list.querySelector(".none")?.remove();
    let item = list.querySelector('[data-thread="' + thread + '"]');
    if (!item) {
      item = el("li");
      item.dataset.thread = String(thread);
      const a = el("a", null, title || "Thread " + thread);
      a.href = "/chat/" + thread;
      item.append(a);
    }
    for (const other of list.querySelectorAll("[aria-current]")) other.removeAttribute("aria-current");
    item.setAttribute("aria-current", "true");
    list.prepend(item);
  }

  async function ask(text) {
    if (asking) return;
    asking = true;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    question.disabled = true;
    conversation.querySelector(".hint")?.remove();
    const box = messageBox(text);
    box.id = "m" + Date.now();
    box.classList.add("asking");
    try {
      if (threadId === null) {
        const thread = await createThread();
        threadId = thread.id;
        conversation.dataset.thread = String(threadId);
        history.replaceState(null, "", "/chat/" + threadId);
      }
      const response = await fetch("/api/v1/chat/threads/" + threadId + "/messages", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "text/event-stream", "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ question: text }),
      });
      if (!response.ok) throw new Error(await errorOf(response));
      let message = null;
      for await (const { event, data } of sse(response)) {
        if (event === "done") message = data;
        else render(box, data);
      }
      if (message) {
        box.id = "m" + message.id;
        for (const li of box.querySelectorAll("[data-call]")) li.id = box.id + "-" + li.dataset.call;
        for (const a of box.querySelectorAll("a.cite")) a.href = "#" + box.id + "-" + a.textContent.slice(1, -1);
      }
      finish(box, message);
      const title = document.getElementById("thread-title");
      if (title && title.textContent === "Ask PixelView") title.textContent = text.slice(0, 80);
      addThreadToList(threadId, text.slice(0, 80));
      question.value = "";
    } catch (error) {
      finish(box, null);
      box.append(el("div", "chat-error", error.message));
      toast(error.message, true);
    } finally {
      asking = false;
      submit.disabled = false;
      question.disabled = false;
      question.focus();
    }
  }

  /* ------------------------------------------------------------ the stored thread */

  async function load() {
    if (threadId === null) return;
    try {
      const thread = await window.PV.api("GET", "/api/v1/chat/threads/" + threadId);
      conversation.replaceChildren();
      for (const message of thread.messages) {
        const box = messageBox(message.question);
        box.id = "m" + message.id;
        for (const step of message.steps) render(box, step);
        finish(box, message);
        if (message.status === "running") {
          box.append(el("p", "muted", "still being answered…"));
        }
      }
      if (!thread.messages.length) conversation.append(el("p", "muted hint", "No question yet in this thread."));
      conversation.dataset.loaded = "true";
    } catch (error) {
      conversation.append(el("div", "chat-error", error.message));
    }
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = question.value.trim();
      if (text) ask(text);
    });
    question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  if (newThread) {
    newThread.addEventListener("click", async () => {
      newThread.disabled = true;
      try {
        const thread = await createThread();
        location.href = "/chat/" + thread.id;
      } catch (error) {
        toast(error.message, true);
        newThread.disabled = false;
      }
    });
  }
  load();
})();
