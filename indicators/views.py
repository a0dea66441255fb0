from django.shortcuts import render

from .models import Observation


def observation_list(request):
    observations = Observation.objects.published().with_related().export_order()
    return render(request, "indicators/observation_list.html", {"observations": observations})
