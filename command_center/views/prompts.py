"""The prompt diff page: how an LLM application's prompt template changed
between two of its versions."""

from typing import Any

from django.http import Http404

from command_center.views.access import RolePage
from mlgov.exceptions import FieldError, NotFoundError
from registry.generative import side_by_side_diff, unified_prompt_diff
from registry.selectors import PromptSide, model_by_name, prompt_history


class PromptDiffView(RolePage):
    """Two versions' prompt templates side by side, and as a unified diff."""

    template_name = "command_center/prompt_diff.html"
    section = "models"

    def get(self, request, *args, **kwargs):
        try:
            model = model_by_name(name=kwargs["name"])
        except NotFoundError as error:
            raise Http404(str(error)) from error
        history = prompt_history(model=model)
        context = self.get_context_data(model=model, history=history)
        try:
            context.update(self._diff(model.name, history))
        except FieldError as error:
            context["diff_error"] = error
            return self.render_to_response(context, status=400)
        return self.render_to_response(context)

    def _chosen(self, field: str, numbers: list[int], default: int) -> int:
        raw = self.request.GET.get(field)
        if raw in (None, ""):
            return default
        if not raw.isdigit() or int(raw) not in numbers:
            raise FieldError(
                field,
                f"No version {raw!r}; this model has versions "
                f"{', '.join(map(str, numbers))}.",
            )
        return int(raw)

    def _diff(self, name: str, history: list[PromptSide]) -> dict[str, Any]:
        if not history:
            return {}
        numbers = [side.version for side in history]
        with_prompt = [side.version for side in history if side.prompt_template]
        to = self._chosen("to", numbers, max(with_prompt or numbers))
        earlier = [n for n in (with_prompt or numbers) if n < to]
        start = self._chosen("from", numbers, max(earlier) if earlier else to)
        by_number = {side.version: side for side in history}
        old, new = by_number[start], by_number[to]
        rows = side_by_side_diff(old.prompt_template, new.prompt_template)
        return {
            "old": old,
            "new": new,
            "rows": rows,
            "changed_lines": sum(row.change != "equal" for row in rows),
            "unified": unified_prompt_diff(
                old.prompt_template,
                new.prompt_template,
                old_label=f"{name} v{start}",
                new_label=f"{name} v{to}",
            ),
        }
