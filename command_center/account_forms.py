"""The account page's form: which notifications a user receives by e-mail."""

from django import forms

from integrations.models import NotificationKind, NotificationPreference


class NotificationPreferencesForm(forms.Form):
    """Which notifications a user receives by e-mail, and when."""

    kinds = forms.MultipleChoiceField(
        choices=NotificationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send me an e-mail when",
        error_messages={
            "invalid_choice": "Unknown notification %(value)s; choose from the list."
        },
    )
    delivery = forms.ChoiceField(
        choices=NotificationPreference.Delivery.choices,
        widget=forms.RadioSelect,
        label="How",
        error_messages={
            "required": "Choose each notification at once or a daily digest.",
            "invalid_choice": "Choose each notification at once or a daily digest.",
        },
    )
