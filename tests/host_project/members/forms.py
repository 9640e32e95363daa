from django import forms
from django.contrib.auth import authenticate

from lessons.signin import signin_check


class SignInForm(forms.Form):
    email = forms.EmailField(label="Email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput)

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.member = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # Stream's sign-in policy (docs/accounts.md): refuse a locked account or address before
        # checking the password; authenticate() with the request counts a failure, login() in
        # the view clears the account's.
        signin_check(request=self.request, login=data["email"])
        self.member = authenticate(self.request, email=data["email"], password=data["password"])
        if self.member is None:
            raise forms.ValidationError("That email and password do not match a member.")
        return data
