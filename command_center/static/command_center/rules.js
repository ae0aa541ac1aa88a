// Rule editors: show only the form of the chosen rule kind (the policy
// editor), and give the "Add a rule" parameters the chosen kind's example
// (the simulation page). Without this script every kind's form is shown and
// the server sets the example when the page is drawn again.
"use strict";

function showChosenKind(row) {
  const select = row.querySelector("select[data-rule-kind]");
  if (!select) return;
  row.querySelectorAll("[data-kind-form]").forEach((form) => {
    form.hidden = form.dataset.kindForm !== select.value;
  });
}

document.querySelectorAll("[data-rule-row]").forEach((row) => {
  showChosenKind(row);
  row.addEventListener("change", (event) => {
    if (event.target.matches("select[data-rule-kind]")) showChosenKind(row);
  });
});

document.querySelectorAll("select[data-examples]").forEach((select) => {
  const examples = JSON.parse(select.dataset.examples);
  const params = document.getElementById(select.dataset.paramsInput);
  if (!params) return;
  const showExample = () => {
    params.placeholder = examples[select.value] || params.dataset.defaultPlaceholder || "";
  };
  params.dataset.defaultPlaceholder = params.placeholder;
  select.addEventListener("change", showExample);
  showExample();
});
