//! One-line human summaries of the typed OCPP payloads, for the simulator's log (`→ Authorize 04AAAB11CD2345
//! ← Accepted`). Read from the typed values of the `ocpp` crate, never from JSON.

use ocpp::messages::ChargePointErrorCode;
use ocpp::messages::{
    AuthorizeRequest, AuthorizeResponse, BootNotificationRequest, BootNotificationResponse,
    DataTransferRequest, DataTransferResponse, DiagnosticsStatusNotificationRequest,
    DiagnosticsStatusNotificationResponse, FirmwareStatusNotificationRequest,
    FirmwareStatusNotificationResponse, HeartbeatRequest, HeartbeatResponse, IdTagInfo,
    MeterValuesRequest, MeterValuesResponse, StartTransactionRequest, StartTransactionResponse,
    StatusNotificationRequest, StatusNotificationResponse, StopTransactionRequest,
    StopTransactionResponse,
};

/// A short summary of a payload (without the action name).
pub trait Describe {
    /// The summary; empty when there is nothing to say beyond the action (a Heartbeat request).
    fn describe(&self) -> String;
}

/// The summary of a confirmation without fields.
const OK: &str = "OK";

fn id_tag_info(info: &IdTagInfo) -> String {
    let mut text = info.status.to_string();
    if let Some(expiry) = &info.expiry_date {
        text.push_str(&format!(" until {expiry}"));
    }
    if let Some(parent) = &info.parent_id_tag {
        text.push_str(&format!(" (parent {parent})"));
    }
    text
}

impl Describe for AuthorizeRequest {
    fn describe(&self) -> String {
        self.id_tag.clone()
    }
}

impl Describe for AuthorizeResponse {
    fn describe(&self) -> String {
        id_tag_info(&self.id_tag_info)
    }
}

impl Describe for BootNotificationRequest {
    fn describe(&self) -> String {
        format!("{} {}", self.charge_point_vendor, self.charge_point_model)
    }
}

impl Describe for BootNotificationResponse {
    fn describe(&self) -> String {
        format!("{} (interval {} s)", self.status, self.interval)
    }
}

impl Describe for DataTransferRequest {
    fn describe(&self) -> String {
        match &self.message_id {
            Some(message_id) => format!("{} {message_id}", self.vendor_id),
            None => self.vendor_id.clone(),
        }
    }
}

impl Describe for DataTransferResponse {
    fn describe(&self) -> String {
        self.status.to_string()
    }
}

impl Describe for DiagnosticsStatusNotificationRequest {
    fn describe(&self) -> String {
        self.status.to_string()
    }
}

impl Describe for DiagnosticsStatusNotificationResponse {
    fn describe(&self) -> String {
        OK.to_owned()
    }
}

impl Describe for FirmwareStatusNotificationRequest {
    fn describe(&self) -> String {
        self.status.to_string()
    }
}

impl Describe for FirmwareStatusNotificationResponse {
    fn describe(&self) -> String {
        OK.to_owned()
    }
}

impl Describe for HeartbeatRequest {
    fn describe(&self) -> String {
        String::new()
    }
}

impl Describe for HeartbeatResponse {
    fn describe(&self) -> String {
        self.current_time.clone()
    }
}

impl Describe for MeterValuesRequest {
    fn describe(&self) -> String {
        let mut text = format!("connector {}", self.connector_id);
        if let Some(transaction) = self.transaction_id {
            text.push_str(&format!(" transaction {transaction}"));
        }
        match self.energy_wh() {
            Some(wh) => text.push_str(&format!(" {wh} Wh")),
            None => text.push_str(&format!(" ({} meter values)", self.meter_value.len())),
        }
        text
    }
}

impl Describe for MeterValuesResponse {
    fn describe(&self) -> String {
        OK.to_owned()
    }
}

impl Describe for StartTransactionRequest {
    fn describe(&self) -> String {
        format!(
            "connector {} {} meterStart {} Wh",
            self.connector_id, self.id_tag, self.meter_start
        )
    }
}

impl Describe for StartTransactionResponse {
    fn describe(&self) -> String {
        format!(
            "transaction {} {}",
            self.transaction_id,
            id_tag_info(&self.id_tag_info)
        )
    }
}

impl Describe for StatusNotificationRequest {
    fn describe(&self) -> String {
        let mut text = format!("connector {} {}", self.connector_id, self.status);
        if self.error_code != ChargePointErrorCode::NoError {
            text.push_str(&format!(" {}", self.error_code));
        }
        text
    }
}

impl Describe for StatusNotificationResponse {
    fn describe(&self) -> String {
        OK.to_owned()
    }
}

impl Describe for StopTransactionRequest {
    fn describe(&self) -> String {
        let mut text = format!(
            "transaction {} meterStop {} Wh",
            self.transaction_id, self.meter_stop
        );
        if let Some(id_tag) = &self.id_tag {
            text.push_str(&format!(" {id_tag}"));
        }
        if let Some(reason) = self.reason {
            text.push_str(&format!(" {reason}"));
        }
        text
    }
}

impl Describe for StopTransactionResponse {
    fn describe(&self) -> String {
        match &self.id_tag_info {
            Some(info) => id_tag_info(info),
            None => OK.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocpp::messages::{AuthorizationStatus, ChargePointStatus};

    #[test]
    fn summaries() {
        assert_eq!(
            AuthorizeResponse {
                id_tag_info: IdTagInfo::new(AuthorizationStatus::Accepted)
            }
            .describe(),
            "Accepted"
        );
        let status = StatusNotificationRequest {
            connector_id: 1,
            error_code: ChargePointErrorCode::NoError,
            info: None,
            status: ChargePointStatus::Charging,
            timestamp: None,
            vendor_id: None,
            vendor_error_code: None,
        };
        assert_eq!(status.describe(), "connector 1 Charging");
    }
}
