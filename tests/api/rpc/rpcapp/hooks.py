"""Hooks of the test app: one whitelisted method overridden by another."""

override_whitelisted_methods = {
    "tests.api.rpc.rpcapp.api.original": "tests.api.rpc.rpcapp.api.replacement",
    "frappe.ping": "tests.api.rpc.rpcapp.api.replacement",
}
