//! When and how a person sends, per window: the counts `aggregate::activity` measures in one
//! pass over the stored interactions and the mirror reads.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub person: u32,
    pub sent: f64,
    pub after_hours: f64,
    pub weekend: f64,
    pub broadcast: f64,
    /// Team meetings this person organized with speaking times recorded.
    pub team_meetings: f64,
    /// Sum over those meetings of (own speaking share × people in the meeting).
    pub team_airtime_sum: f64,
}

impl Activity {
    /// Mean speaking share in one's team meetings over an equal share (1 = as much as anyone).
    pub fn team_airtime(&self) -> Option<f64> {
        (self.team_meetings > 0.0).then(|| self.team_airtime_sum / self.team_meetings)
    }
}
