// Starts NHS.UK frontend's components (header menu, error summary focus, skip link, buttons...).
// Kept out of inline scripts for a strict Content Security Policy.
import { initAll } from "../wagtailnhsukfrontend/js/nhsuk-frontend-10.4.2.min.js";

initAll();
