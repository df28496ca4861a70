"""HTML views: learning (reps), team (managers), studio (authoring). Thin: access, then a
selector or a service, then a template."""
