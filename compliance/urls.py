from compliance.documentation.urls import urlpatterns as documentation

app_name = "compliance"

urlpatterns = [*documentation]
