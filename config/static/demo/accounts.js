// Account pages: after the server sent a form back with errors, put the keyboard focus on the
// first field to fix, so a screen reader reads its label and error at once.
const invalid = document.querySelector('.account-form [aria-invalid="true"]');
if (invalid) {
  invalid.focus();
}
