"""OPTIONS answers like GET for an object: 404 when the object is not the caller's organisation's.

DRF's SimpleMetadata answers OPTIONS on /fleets/{id} with 200 for any id, swallowing the lookup's 404;
looking the object up first keeps the rule "another organisation's object does not exist" for every method.
"""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class ScopedMetadata(SimpleMetadata):
    def determine_metadata(self, request, view):
        if getattr(view, "detail", False) and hasattr(view, "get_object"):
            view.get_object()  # Http404 for an object that is not the caller's
        return super().determine_metadata(request, view)
