"""The lab Kubernetes cluster: its API objects and the selectors that query them."""
