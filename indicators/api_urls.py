app_name = "api"

urlpatterns: list = [
    # Filled in by the export/API work (issue 4).
]
