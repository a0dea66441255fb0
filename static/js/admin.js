// select2 (the admin's autocomplete fields) names its combobox by the value chosen, which is empty
// until one is chosen, so a screen reader announces a nameless field. Name it by the field's label
// first. The admin's autocomplete.js starts select2 in a jQuery ready handler; this script is
// deferred, so its ready handler is added after that one and runs after it.
function nameAutocompleteFields() {
  for (const select of document.querySelectorAll("select.admin-autocomplete")) {
    const label = document.querySelector(`label[for="${select.id}"]`);
    const box = select.parentElement.querySelector(".select2-selection[role=combobox]");
    const chosen = document.getElementById(`select2-${select.id}-container`);
    if (!label || !box || !chosen) continue;
    label.id ||= `${select.id}-label`;
    box.setAttribute("aria-labelledby", `${label.id} ${chosen.id}`);
    chosen.setAttribute("aria-labelledby", label.id); // its own role is "textbox": the label names it
  }
}

if (window.django && window.django.jQuery) {
  window.django.jQuery(nameAutocompleteFields);
}
