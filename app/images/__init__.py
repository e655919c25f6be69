"""Images pasted into rich-text notes: upload (authenticated) and capability-URL download."""
