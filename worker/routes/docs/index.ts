// GET /api/docs — the interactive API reference (Swagger UI) over /api/v1/openapi.json. Swagger
// UI's files come from our own static assets (scripts/lib/platform-assets.ts); the start-up code
// is a script file, not inline, so the Content-Security-Policy needs no exception.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';

const VENDOR = '/vendor/swagger-ui';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulse Monitor API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${VENDOR}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${VENDOR}/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Calls from the page send the session cookie; writes also need the CSRF token (docs/auth.md).
  withCredentials: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

export function registerApiDocs(app: OpenAPIHono<AppEnv>) {
  app.get('/api/docs', (c) => c.html(PAGE, 200, { 'cache-control': 'no-cache' }));
  app.get('/api/docs/init.js', (c) => c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
}
