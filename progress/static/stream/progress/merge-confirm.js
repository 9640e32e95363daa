// Asks, in a modal dialog, before adding this browser's progress to a different account than
// the one it was merged into before (a shared computer). Resolves true for "add".

let counter = 0;

export function confirmMerge(text) {
  return new Promise((resolve) => {
    counter += 1;
    const dialog = document.createElement("dialog");
    dialog.className = "progress-dialog";
    const titleId = `stream-progress-merge-title-${counter}`;
    dialog.setAttribute("aria-labelledby", titleId);
    const form = document.createElement("form");
    form.method = "dialog";
    const title = document.createElement("h2");
    title.id = titleId;
    title.textContent = text.merge_title;
    const question = document.createElement("p");
    question.textContent = text.merge_question;
    const actions = document.createElement("p");
    actions.className = "progress-dialog__actions";
    const yes = document.createElement("button");
    yes.className = "button";
    yes.value = "yes";
    yes.textContent = text.merge_yes;
    const no = document.createElement("button");
    no.className = "button button--secondary";
    no.value = "no";
    no.textContent = text.merge_no;
    actions.append(yes, no);
    form.append(title, question, actions);
    dialog.append(form);
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
