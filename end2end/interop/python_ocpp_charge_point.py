"""Interoperability check: an independent OCPP 1.6J implementation (the Python `ocpp` package, acting as a
charge point over `websockets`) against a running ChargeDesk server with the demo data.

The library validates every answer of ours against the official OCPP 1.6 JSON schemas, so a non-conformant
field fails here even where our own tests agree with us. It validates the CALLs we send it the same way: an
administrator (the demo partner, logged in over HTTP as the browser does) sends every station command through
the server functions, the library checks each CALL against its schema before our handler sees it (a bad one
would be answered with a CALLERROR), and the command history must show each station answer.

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

import http.cookiejar
import json
import urllib.parse
import urllib.request

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

STATION = "CP-KROON-1"  # demo: Brouwerij De Kroon, inherits "Whitelisting"
# The demo station's password (storage::DEMO_STATIONS, printed by `serve --demo`).
STATION_PASSWORD = os.environ.get("CHARGEDESK_STATION_PASSWORD", "kroon-1-demo-station-key")
WHITELISTED_IN_SUB_ORG = "04A1B2C3D4E5F6"  # demo: whitelisted in De Kroon Logistics (a sub-organization)
UNKNOWN_CARD = "04DEADBEEF0001"

PARTNER = "eva@volta-partners.example"
DEMO_PASSWORD = "chargedesk-demo"

results = []
# Every command this charge point received, by action, with its payload (as the library read it).
received = {}


class InteropChargePoint(ChargePoint):
    """Answers the central system's commands the way a cooperative station does. The library has validated
    each CALL against the official schema before a handler runs."""

    @on(Action.reset)
    def on_reset(self, **kwargs):
        received["Reset"] = kwargs
        return call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock(self, **kwargs):
        received["UnlockConnector"] = kwargs
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.change_availability)
    def on_availability(self, **kwargs):
        received["ChangeAvailability"] = kwargs
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        received["ClearCache"] = kwargs
        return call_result.ClearCache(status="Accepted")

    @on(Action.trigger_message)
    def on_trigger(self, **kwargs):
        received["TriggerMessage"] = kwargs
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.get_configuration)
    def on_get_configuration(self, **kwargs):
        received["GetConfiguration"] = kwargs
        if kwargs.get("key"):
            # The keys asked for (the Local Authorization List sync reads its limits and the profiles).
            known = {
                "LocalAuthListMaxLength": "100",
                "SendLocalListMaxLength": "50",
                "SupportedFeatureProfiles": "Core,LocalAuthListManagement,RemoteTrigger",
            }
            return call_result.GetConfiguration(
                configuration_key=[{"key": k, "readonly": True, "value": known[k]} for k in kwargs["key"] if k in known],
                unknown_key=[k for k in kwargs["key"] if k not in known],
            )
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
            ]
        )

    # The Local Authorization List, kept by ChargeDesk's sync: version 0 (empty) until a list arrives.
    list_version = 0

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        received["GetLocalListVersion"] = kwargs
        return call_result.GetLocalListVersion(list_version=self.list_version)

    @on(Action.send_local_list)
    def on_send_local_list(self, **kwargs):
        received.setdefault("SendLocalList", []).append(kwargs)
        self.list_version = kwargs["list_version"]
        return call_result.SendLocalList(status="Accepted")

    @on(Action.change_configuration)
    def on_change_configuration(self, **kwargs):
        received["ChangeConfiguration"] = kwargs
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.remote_start_transaction)
    def on_remote_start(self, **kwargs):
        received["RemoteStartTransaction"] = kwargs
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, **kwargs):
        received["RemoteStopTransaction"] = kwargs
        return call_result.RemoteStopTransaction(status="Accepted")


class Browser:
    """The server functions as the browser calls them: form-encoded POSTs with the session cookie."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, endpoint, **form):
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            f"{self.base}/api/{endpoint}", data=data, headers={"Accept": "application/json"}, method="POST"
        )
        with self.opener.open(request, timeout=10) as response:
            return json.loads(response.read().decode())


async def command(browser, org, station, expected, **form):
    """Sends one command through the server functions and waits (at most 10 s) for the station's answer in the
    command history; checks that it is `expected`."""
    sent = await asyncio.to_thread(browser.call, "send_station_command", org=org, station=station, **form)
    for _ in range(100):
        now_ = await asyncio.to_thread(
            browser.call, "get_station_command", org=org, station=station, command=sent["id"]
        )
        if now_["state"] not in ("queued", "sent"):
            break
        await asyncio.sleep(0.1)
    check(
        f"command {form['command']}: the station answered {expected}",
        now_["state"] == "answered" and now_["outcome"] == expected,
        now_,
    )


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
        cp = InteropChargePoint(STATION, ws)
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

        # Unasked, on connect: ChargeDesk reads the list's limits and version and sends the whitelist as a Full list
        # (the library validated the SendLocalList against its schema): the sub-organization's whitelisted pass
        # is on it, the unknown card is not.
        for _ in range(100):
            if received.get("SendLocalList"):
                break
            await asyncio.sleep(0.1)
        lists = received.get("SendLocalList") or [{}]
        first = lists[0]
        entries = {e.get("id_tag"): e.get("id_tag_info", {}).get("status") for e in first.get("local_authorization_list") or []}
        check(
            "the local list arrives as a Full update with the whitelisted pass",
            first.get("update_type") == "Full"
            and first.get("list_version") == 1
            and entries.get(WHITELISTED_IN_SUB_ORG) == "Accepted"
            and UNKNOWN_CARD not in entries,
            lists,
        )

        # The central system's CALLs: sent by an administrator through the server functions.
        base = "http" + url.removeprefix("ws").removesuffix("/ocpp")
        browser = Browser(base)
        await asyncio.to_thread(browser.call, "login", email=PARTNER, password=DEMO_PASSWORD)
        me = await asyncio.to_thread(browser.call, "current_user")
        org = me["home_org"]["id"]
        stations = await asyncio.to_thread(browser.call, "list_stations", org=org)
        station = next(s["id"] for s in stations if s["charge_point_id"] == STATION)
        await command(browser, org, station, "Accepted", command="reset", option="soft")
        await command(browser, org, station, "Unlocked", command="unlock_connector", connector="1")
        await command(
            browser, org, station, "Accepted", command="change_availability", connector="0", option="inoperative"
        )
        await command(browser, org, station, "Accepted", command="clear_cache")
        await command(browser, org, station, "Accepted", command="trigger_message", option="StatusNotification")
        await command(browser, org, station, "2 keys", command="get_configuration")
        await command(
            browser, org, station, "Accepted", command="change_configuration", key="HeartbeatInterval", value="600"
        )
        await command(
            browser, org, station, "Accepted", command="remote_start", card=WHITELISTED_IN_SUB_ORG, connector="1"
        )
        # Another meter reading than the first session's: a StartTransaction repeating one (same connector, card,
        # meter and second) is the same transaction, answered with the same id.
        started = await cp.call(
            call.StartTransaction(connector_id=1, id_tag=WHITELISTED_IN_SUB_ORG, meter_start=5000, timestamp=now())
        )
        await command(
            browser, org, station, "Accepted", command="remote_stop", transaction=str(started.transaction_id)
        )
        check(
            "the CALLs carried what was asked",
            received.get("Reset") == {"type": "Soft"}
            and received.get("UnlockConnector") == {"connector_id": 1}
            and received.get("ChangeConfiguration") == {"key": "HeartbeatInterval", "value": "600"}
            and received.get("RemoteStartTransaction") == {"connector_id": 1, "id_tag": WHITELISTED_IN_SUB_ORG}
            and received.get("RemoteStopTransaction") == {"transaction_id": started.transaction_id},
            received,
        )
        await cp.call(call.StopTransaction(meter_stop=5010, timestamp=now(), transaction_id=started.transaction_id))

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
