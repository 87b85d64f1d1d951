"""Shared foundation of Bangban: settings, storage, catalogue, calendar."""
