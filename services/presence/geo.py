"""Distances on the earth's surface, for "is this location inside the village's radius"."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def valid(latitude: float, longitude: float) -> bool:
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): within a few metres over a village's
    few kilometres, which is all a radius check needs."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi, dlambda = phi2 - phi1, radians(lon2 - lon1)
    a = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))


def within(
    latitude: float,
    longitude: float,
    centre: tuple[float | None, float | None],
    radius_km: float,
) -> tuple[bool, float | None]:
    """(inside, distance in metres); never inside when the centre is not on the roster."""
    lat0, lon0 = centre
    if lat0 is None or lon0 is None:
        return False, None
    distance = distance_m(latitude, longitude, lat0, lon0)
    return distance <= radius_km * 1000, distance
