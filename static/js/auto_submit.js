// Posts a form marked data-auto-submit as soon as the page loads (the LTI deep-linking answer
// back to the LMS); its button does the same without JavaScript.
"use strict";
document.querySelectorAll("form[data-auto-submit]").forEach((form) => form.submit());
