"""StackStorm: the action catalog, running an action and following its execution."""
