// Adds a "Copy" button to every captioned code block on a lesson page.
// Labels come from data-* attributes on the lesson article, so they are translated server-side.

const article = document.querySelector("article.lesson");

function labels() {
  const data = article ? article.dataset : {};
  return {
    copy: data.copyLabel || "Copy",
    copied: data.copiedLabel || "Copied",
    failed: data.copyFailedLabel || "Copy failed",
    name: data.copyNameLabel || "Copy code",
  };
}

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP pages have no async clipboard API: copy through a hidden textarea.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

function addButton(figure, text, status) {
  const code = figure.querySelector("pre");
  if (!code || figure.querySelector(".code-copy")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "code-copy";
  button.textContent = text.copy;
  const caption = figure.querySelector(".code-title");
  button.setAttribute("aria-label", caption ? `${text.name}: ${caption.textContent}` : text.name);
  button.addEventListener("click", async () => {
    try {
      await writeClipboard(code.textContent.replace(/\n$/, ""));
      button.textContent = text.copied;
      status.textContent = text.copied;
    } catch {
      button.textContent = text.failed;
      status.textContent = text.failed;
    }
    window.setTimeout(() => {
      button.textContent = text.copy;
    }, 2000);
  });
  figure.classList.add("code-block--copyable");
  figure.prepend(button);
}

if (article) {
  const text = labels();
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  article.append(status);
  for (const figure of article.querySelectorAll("figure.code-block")) addButton(figure, text, status);
}
