"""Interoperability check: an independent OCPP 1.6J implementation (the Python `ocpp` package, acting as a
charge point over `websockets`) against a running ChargeDesk server with the demo data.

The library validates every answer of ours against the official OCPP 1.6 JSON schemas, so a non-conformant
field fails here even where our own tests agree with us.

    python python_ocpp_charge_point.py ws://127.0.0.1:3200/ocpp

The station logs in as OCPP security profile 1 says: HTTP Basic authentication with its charge point ID and
password, the demo station's published password unless CHARGEDESK_STATION_PASSWORD gives another.

Prints one line per check and a closing "N passed, M failed"; exits non-zero on any failure.
"""

import asyncio
import base64
import datetime
import os
import sys

import websockets
from ocpp.v16 import ChargePoint, call

STATION = "CP-KROON-1"  # demo: Brouwerij De Kroon, inherits "Whitelisting"
# The demo station's password (storage::DEMO_STATIONS, printed by `serve --demo`).
STATION_PASSWORD = os.environ.get("CHARGEDESK_STATION_PASSWORD", "kroon-1-demo-station-key")
WHITELISTED_IN_SUB_ORG = "04A1B2C3D4E5F6"  # demo: whitelisted in De Kroon Logistics (a sub-organization)
UNKNOWN_CARD = "04DEADBEEF0001"

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else f': {detail}'}", flush=True)


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def basic_auth(user, password):
    """The Authorization header of HTTP Basic authentication (RFC 7617), as OCPP security profile 1 uses it."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


async def refused_status(url, headers):
    """The HTTP status with which the server refuses the upgrade, or None if it accepts it."""
    try:
        async with websockets.connect(url, subprotocols=["ocpp1.6"], additional_headers=headers):
            return None
    except websockets.exceptions.InvalidStatus as e:
        return e.response.status_code


async def run(url):
    station_url = f"{url}/{STATION}"
    status = await refused_status(station_url, {})
    check("a station without its password is refused with 401", status == 401, status)
    status = await refused_status(station_url, basic_auth(STATION, "not-the-station-password"))
    check("a wrong password is refused with 401", status == 401, status)

    async with websockets.connect(
        station_url, subprotocols=["ocpp1.6"], additional_headers=basic_auth(STATION, STATION_PASSWORD)
    ) as ws:
        check("subprotocol negotiated", ws.subprotocol == "ocpp1.6", ws.subprotocol)
        cp = ChargePoint(STATION, ws)
        listener = asyncio.create_task(cp.start())

        boot = await cp.call(call.BootNotification(charge_point_model="Interop", charge_point_vendor="python-ocpp"))
        check("BootNotification accepted", boot.status == "Accepted" and boot.interval > 0, boot)

        beat = await cp.call(call.Heartbeat())
        check("Heartbeat answered with the time", bool(beat.current_time), beat)

        status = await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        check("StatusNotification answered", status is not None, status)

        known = await cp.call(call.Authorize(id_tag=WHITELISTED_IN_SUB_ORG))
        check("a pass whitelisted in a sub-organization is accepted", known.id_tag_info["status"] == "Accepted", known)

        unknown = await cp.call(call.Authorize(id_tag=UNKNOWN_CARD))
        check("an unknown card is refused", unknown.id_tag_info["status"] == "Invalid", unknown)

        start = await cp.call(
            call.StartTransaction(connector_id=1, id_tag=WHITELISTED_IN_SUB_ORG, meter_start=0, timestamp=now())
        )
        tx = start.transaction_id
        check(
            "StartTransaction gets an id and is accepted",
            isinstance(tx, int) and start.id_tag_info["status"] == "Accepted",
            start,
        )

        values = await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    {
                        "timestamp": now(),
                        "sampled_value": [
                            {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                        ],
                    }
                ],
            )
        )
        check("MeterValues answered", values is not None, values)

        stop = await cp.call(call.StopTransaction(meter_stop=3000, timestamp=now(), transaction_id=tx, reason="Local"))
        check("StopTransaction accepted", stop is not None, stop)

        transfer = await cp.call(call.DataTransfer(vendor_id="org.python-ocpp.interop"))
        check("DataTransfer from an unknown vendor", transfer.status == "UnknownVendorId", transfer)

        listener.cancel()


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:3200/ocpp"
    try:
        asyncio.run(asyncio.wait_for(run(url), timeout=60))
    except Exception as e:  # any failure to talk to the server is a failed check, with its reason
        check("the exchange completed", False, repr(e))
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
