// Reads the API's own OpenAPI document, relative to this page (so it works under a stage prefix too).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("openapi.json", document.baseURI).href,
    dom_id: "#kirim-api-docs",
    deepLinking: true,
    tryItOutEnabled: false
  });
});
