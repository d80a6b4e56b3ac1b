# The PixelView image used by compose.yaml (api, worker and migrate services).
FROM python:3.11-slim

ENV UV_PROJECT_ENVIRONMENT=/opt/pixelview \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    PATH=/opt/pixelview/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev --no-editable

RUN useradd --uid 10001 --create-home pixelview && mkdir /data && chown pixelview /data
USER pixelview
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["pixelview"]
CMD ["serve", "--host", "0.0.0.0"]
