"""Generated technical documentation (EU AI Act Annex IV) of a model version:
a selector gathers the facts, a pure builder turns them into sections with
their gaps, renderers make the HTML and the PDF, and a service stores each
generation as an immutable, checksummed revision."""
