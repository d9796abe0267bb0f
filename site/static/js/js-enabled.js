// Runs first in <body>, as NHS.UK frontend's template snippet does: "js-enabled" for the styles that depend on
// JavaScript, and "nhsuk-frontend-supported" where the browser runs ES modules. Without that class initAll() in
// site.js starts no component (header menu, error summary focus, button double-click guard).
document.body.className +=
  (document.body.className ? " " : "") +
  "js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
