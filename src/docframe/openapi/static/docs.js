// docframe's /api/docs: Swagger UI over /api/openapi.json, trying calls with the browser's session
// (the CSRF token is sent on unsafe methods) or with credentials entered under "Authorize".
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var specUrl = document.body.getAttribute("data-spec-url") || "/api/openapi.json";
  var UNSAFE = /^(POST|PUT|PATCH|DELETE)$/i;

  function fetchToken() {
    return fetch("/api/method/frappe.auth.get_csrf_token", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (body) { csrf = body.message || ""; return csrf; })
      .catch(function () { return ""; });
  }

  function withToken(req) {
    var auth = req.headers && (req.headers.Authorization || req.headers.authorization);
    if (!UNSAFE.test(req.method || "GET") || auth) { return req; }
    var ready = csrf ? Promise.resolve(csrf) : fetchToken();
    return ready.then(function (token) {
      if (token) { req.headers["X-Frappe-CSRF-Token"] = token; }
      return req;
    });
  }

  function afterResponse(res) {
    // Logging in or out changes what the caller may do: fetch the spec again for the new user.
    if (/\/api\/(v2\/)?method\/(login|logout)$/.test(res.url || "") && res.ok) {
      csrf = "";
      setTimeout(function () { window.ui.specActions.download(specUrl); }, 0);
    }
    return res;
  }

  window.ui = window.SwaggerUIBundle({
    url: specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "none",
    filter: true,
    validatorUrl: null,
    withCredentials: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    tryItOutEnabled: false,
    requestInterceptor: withToken,
    responseInterceptor: afterResponse,
  });
})();
