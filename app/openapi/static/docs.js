// Starts Swagger UI on the docs page. A file of its own, not an inline script, so that the page's
// Content-Security-Policy can allow scripts from 'self' and nothing else.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    docExpansion: "list",
    validatorUrl: null, // the default badge fetches validator.swagger.io: nothing leaves this server
  });
})();
