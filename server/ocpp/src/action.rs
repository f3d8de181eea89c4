//! The OCPP 1.6 action names (the third element of a CALL).

wire_enum! {
    /// Every action of OCPP 1.6 (core, firmware management, local authorization list management,
    /// reservation, smart charging and remote trigger profiles).
    ///
    /// The first ten are initiated by the charge point and handled by the central system; the others are
    /// initiated by the central system (so a charge point that sends one gets `NotSupported`, not
    /// `NotImplemented`). Of those, the core, local-list and remote-trigger ones are typed in
    /// [`crate::commands`] and sent by the central system; the reservation, smart-charging and
    /// firmware-management ones are known by name only.
    pub enum Action {
        /// Charge point → central system: may this idTag charge?
        Authorize = "Authorize",
        /// Charge point → central system: the charge point (re)started.
        BootNotification = "BootNotification",
        /// Either direction: vendor-specific data (see also [`crate::commands::Command::DataTransfer`]).
        DataTransfer = "DataTransfer",
        /// Charge point → central system: diagnostics upload progress.
        DiagnosticsStatusNotification = "DiagnosticsStatusNotification",
        /// Charge point → central system: firmware update progress.
        FirmwareStatusNotification = "FirmwareStatusNotification",
        /// Charge point → central system: still alive; asks for the time.
        Heartbeat = "Heartbeat",
        /// Charge point → central system: meter samples.
        MeterValues = "MeterValues",
        /// Charge point → central system: a transaction started.
        StartTransaction = "StartTransaction",
        /// Charge point → central system: a connector's status changed.
        StatusNotification = "StatusNotification",
        /// Charge point → central system: a transaction stopped.
        StopTransaction = "StopTransaction",
        /// Central system → charge point.
        CancelReservation = "CancelReservation",
        /// Central system → charge point.
        ChangeAvailability = "ChangeAvailability",
        /// Central system → charge point.
        ChangeConfiguration = "ChangeConfiguration",
        /// Central system → charge point.
        ClearCache = "ClearCache",
        /// Central system → charge point.
        ClearChargingProfile = "ClearChargingProfile",
        /// Central system → charge point.
        GetCompositeSchedule = "GetCompositeSchedule",
        /// Central system → charge point.
        GetConfiguration = "GetConfiguration",
        /// Central system → charge point.
        GetDiagnostics = "GetDiagnostics",
        /// Central system → charge point.
        GetLocalListVersion = "GetLocalListVersion",
        /// Central system → charge point.
        RemoteStartTransaction = "RemoteStartTransaction",
        /// Central system → charge point.
        RemoteStopTransaction = "RemoteStopTransaction",
        /// Central system → charge point.
        ReserveNow = "ReserveNow",
        /// Central system → charge point.
        Reset = "Reset",
        /// Central system → charge point.
        SendLocalList = "SendLocalList",
        /// Central system → charge point.
        SetChargingProfile = "SetChargingProfile",
        /// Central system → charge point.
        TriggerMessage = "TriggerMessage",
        /// Central system → charge point.
        UnlockConnector = "UnlockConnector",
        /// Central system → charge point.
        UpdateFirmware = "UpdateFirmware",
    }
}

impl Action {
    /// Whether a charge point sends this action to the central system, i.e. whether the central system accepts
    /// a CALL with it. `DataTransfer` goes both ways and counts as charge-point-initiated here.
    pub const fn is_charge_point_initiated(self) -> bool {
        matches!(
            self,
            Action::Authorize
                | Action::BootNotification
                | Action::DataTransfer
                | Action::DiagnosticsStatusNotification
                | Action::FirmwareStatusNotification
                | Action::Heartbeat
                | Action::MeterValues
                | Action::StartTransaction
                | Action::StatusNotification
                | Action::StopTransaction
        )
    }
}
