"""Modal dialogs (forms and confirmations) opened from the shell's views."""
