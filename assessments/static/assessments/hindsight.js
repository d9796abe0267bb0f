// As a learner writes a free-text answer, show the gentle prompt when it uses the language of blame or hindsight
// (the phrases editors keep in the admin, sent in the page's #hindsight-phrases template). It never blocks anything.
const source = document.getElementById("hindsight-phrases");
const phrases = source ? source.innerHTML.split("\n").map((p) => p.trim().toLowerCase()).filter(Boolean) : [];
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const patterns = phrases.map((phrase) => ({
  phrase,
  regex: new RegExp(`(^|[^\\p{L}\\p{N}_])${phrase.split(/\s+/).map(escape).join("\\s+")}(?![\\p{L}\\p{N}_])`, "iu"),
}));

function check(textarea) {
  // The live region (#q-…-prompt) stays in the page; the prompt inside it is shown, hidden or reworded, and only
  // when what was found changes, so a screen reader does not hear it again at every pause in typing.
  const region = document.getElementById(`${textarea.id.replace(/-text$/, "")}-prompt`);
  const prompt = region && region.querySelector(".site-hindsight-prompt");
  if (!prompt) return;
  const found = patterns.filter(({ regex }) => regex.test(textarea.value)).map(({ phrase }) => phrase);
  const list = prompt.querySelector(".site-hindsight-found");
  const text = found.length ? ` (${found.join(", ")})` : "";
  if (list && list.textContent !== text) list.textContent = text;
  if (prompt.hidden !== (found.length === 0)) prompt.hidden = found.length === 0;
}

for (const textarea of document.querySelectorAll(".site-hindsight-check")) {
  let timer;
  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => check(textarea), 400);
  });
}
