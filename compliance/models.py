"""The compliance app's models: each area keeps its own module."""

from compliance.documentation.models import TechnicalDocument

__all__ = ["TechnicalDocument"]
