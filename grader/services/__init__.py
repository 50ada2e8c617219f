"""Domain services: plain functions over ids and dataclasses, never over ``request``."""
