// Short, dismissible notices in the page's live region: new awards (several summed up in one),
// and what happened to progress kept on this device.

import { format } from "./render.js";

export function showNotice(text, message, { kind = "info" } = {}) {
  const region = document.querySelector("[data-progress-notice]");
  if (!region || !message) return;
  const item = document.createElement("div");
  item.className = `progress-notice__item progress-notice__item--${kind}`;
  const body = document.createElement("p");
  body.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "progress-notice__dismiss";
  close.textContent = text.dismiss;
  close.addEventListener("click", () => item.remove());
  item.append(body, close);
  region.append(item);
}

// awards: [{name, xp}, ...]
export function showAwards(text, awards) {
  if (!awards.length) return;
  const names = awards.map((award) => award.name).join(", ");
  const xp = awards.reduce((sum, award) => sum + award.xp, 0);
  const message =
    awards.length === 1
      ? format(text.award_one, { names, xp })
      : format(text.award_many, { count: awards.length, names, xp });
  showNotice(text, message, { kind: "award" });
}
