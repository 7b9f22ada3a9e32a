"""Untrusted text: the one sanitiser and the redactor."""
