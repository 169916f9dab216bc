"""Policy, keys, results and errors. Imports no other part of medanon."""
