"""The audit log as the product uses it: who did what, the person's activity, the auditor's API."""
