// Comments in one language: when a lesson's discussion holds comments written on pages in more
// than one language, a select above the threads shows them all (the default) or one language.
// Comments in other languages are hidden, their replies stay in place. Without JavaScript every
// comment shows, each marked with its language.

function languageFilter(section) {
  const template = section.querySelector("template[data-language-filter-template]");
  const list = section.querySelector("[data-thread-list]");
  if (!template || !list) return;
  const articles = () => list.querySelectorAll("article[data-language]");
  const present = new Set([...articles()].map((article) => article.dataset.language));
  if (present.size < 2) return;
  const filter = template.content.firstElementChild.cloneNode(true);
  const select = filter.querySelector("select");
  for (const option of [...select.options]) {
    if (option.value && !present.has(option.value)) option.remove();
  }
  const status = filter.querySelector("[data-language-filter-status]");
  select.addEventListener("change", () => {
    let shown = 0;
    for (const article of articles()) {
      article.hidden = Boolean(select.value) && article.dataset.language !== select.value;
      if (!article.hidden) shown += 1;
    }
    status.textContent = select.value
      ? status.dataset.template.replace("{shown}", shown).replace("{total}", articles().length)
      : "";
  });
  list.before(filter);
}

document.querySelectorAll("[data-stream-comments]").forEach(languageFilter);
