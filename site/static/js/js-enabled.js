document.body.className += (document.body.className ? " " : "") + "js-enabled";
