//! Taking an application (一证通办): at the window, by proxy or from an alert by a clerk,
//! through the API, or online by the applicant. One set of checks for every way in.

use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::cases::{self, NewApplication};
use jiuzhu_db::households::HouseholdRecord;
use jiuzhu_domain::casework::Channel;
use jiuzhu_domain::{IdNumber, mask_id_str};

use super::{chosen_programs, expense_of, new_items, one_time_notice};
use crate::{Acting, AppError, Result};

/// Who applies.
#[derive(Clone, Debug)]
pub enum Applicant {
    /// A member of the household found at the window, by person id.
    Person(i64),
    /// By ID number (the API, or a form that typed it).
    IdNumber(String),
}

/// An application a clerk takes.
#[derive(Clone, Debug, Default)]
pub struct ApplicationRequest {
    /// The household found at the window; `None`: the household the applicant's ID number
    /// belongs to, wherever registered.
    pub household: Option<i64>,
    pub applicant: Option<Applicant>,
    /// A [`Channel`] code.
    pub channel: String,
    pub proxy_name: String,
    pub proxy_id_number: String,
    pub source_ref: String,
    pub programs: Vec<String>,
    /// Whatever applies (the prescription's eligible programs).
    pub any: bool,
    pub authorisation: Option<i64>,
    /// The sudden expense of temporary assistance, in yuan as typed.
    pub expense: String,
    pub urgent: bool,
}

/// Takes an application for `acting`'s region; returns its id.
pub async fn take_application(db: &Db, acting: &Acting, req: ApplicationRequest) -> Result<i64> {
    acting.require(acting.role.can_write_registry(), "take applications")?;
    let rec = match (&req.household, &req.applicant) {
        (Some(h), _) => crate::intake::household(db, *h).await?,
        (None, Some(Applicant::IdNumber(id))) => {
            crate::intake::household_by_id_number(db, &id.trim().to_uppercase()).await?
        }
        (None, _) => None,
    }
    .ok_or_else(|| AppError::NotFound("household".into()))?;
    let id_number = match &req.applicant {
        Some(Applicant::Person(pid)) => rec
            .current_members()
            .find(|m| m.person_id == *pid)
            .map(|m| m.id_number.clone())
            .unwrap_or_default(),
        Some(Applicant::IdNumber(id)) => id.trim().to_uppercase(),
        None => String::new(),
    };
    let Some(applicant) = rec.current_members().find(|m| m.id_number == id_number) else {
        return Err(AppError::invalid(
            "id_number: the applicant is not a member of this household",
        ));
    };
    let channel = Channel::parse(&req.channel)
        .ok_or_else(|| AppError::invalid(format!("channel: {:?}", req.channel)))?;
    let (proxy_name, proxy_id) = (
        req.proxy_name.trim().to_string(),
        req.proxy_id_number.trim().to_uppercase(),
    );
    if channel == Channel::Proxy && (proxy_name.is_empty() || IdNumber::parse(&proxy_id).is_err()) {
        return Err(AppError::invalid(
            "proxy: a proxy application needs the proxy's name and a valid ID number",
        ));
    }
    let app = Taken {
        applicant_id_number: id_number.clone(),
        applicant_name: applicant.name.clone(),
        channel,
        proxy_name,
        proxy_id_number: proxy_id,
        source_ref: req.source_ref.clone(),
        authorisation: req.authorisation,
        taken_region: acting.region.clone(),
    };
    record(db, &acting.actor(), &rec, app, &req).await
}

/// An application the applicant makes online (网上申请): identified by ID number, name
/// and the phone number on record (in production, by the provincial identity service);
/// the authorisation is signed later at the window, as the notice says.
#[derive(Clone, Debug, Default)]
pub struct OnlineApplication {
    pub id_number: String,
    pub name: String,
    pub phone: String,
    pub programs: Vec<String>,
    pub any: bool,
    pub expense: String,
}

/// Takes an online application; `Ok(None)` when the identity matches no member on record
/// (the caller counts the try).
pub async fn apply_online(db: &Db, ip: &str, a: OnlineApplication) -> Result<Option<i64>> {
    let id_number = a.id_number.trim().to_uppercase();
    let Some(rec) = crate::intake::household_by_id_number(db, &id_number).await? else {
        return Ok(None);
    };
    let matched = rec.current_members().any(|m| {
        m.id_number == id_number && m.name == a.name && !m.phone.is_empty() && m.phone == a.phone
    });
    if !matched {
        return Ok(None);
    }
    let actor = Actor {
        name: format!("online:{}", mask_id_str(&id_number)),
        role: "applicant".into(),
        ip: ip.to_string(),
    };
    let req = ApplicationRequest {
        programs: a.programs,
        any: a.any,
        expense: a.expense,
        ..Default::default()
    };
    let taken = Taken {
        applicant_id_number: id_number,
        applicant_name: a.name,
        channel: Channel::Online,
        proxy_name: String::new(),
        proxy_id_number: String::new(),
        source_ref: String::new(),
        authorisation: None,
        taken_region: rec.household.region_code.clone(),
    };
    record(db, &actor, &rec, taken, &req).await.map(Some)
}

/// What was checked of an application before its programs are routed.
struct Taken {
    applicant_id_number: String,
    applicant_name: String,
    channel: Channel,
    proxy_name: String,
    proxy_id_number: String,
    source_ref: String,
    authorisation: Option<i64>,
    taken_region: String,
}

/// Routes the programs asked for to their departments and records the application.
async fn record(
    db: &Db,
    actor: &Actor,
    rec: &HouseholdRecord,
    t: Taken,
    req: &ApplicationRequest,
) -> Result<i64> {
    let today = jiuzhu_db::today();
    let programs = chosen_programs(rec, req.programs.clone(), req.any, today);
    let expense = expense_of(&req.expense, &programs)?;
    let cal = crate::calendar::current(db).await;
    let items = new_items(rec, &programs, req.urgent, expense, &cal, today)?;
    let requested = if req.any {
        vec!["any".to_string()]
    } else {
        programs.clone()
    };
    let app = NewApplication {
        household_id: rec.household.id,
        applicant_id_number: t.applicant_id_number,
        applicant_name: t.applicant_name,
        channel: t.channel.code().into(),
        proxy_name: t.proxy_name,
        proxy_id_number: t.proxy_id_number,
        source_ref: t.source_ref,
        requested: serde_json::to_string(&requested).expect("json"),
        authorisation_id: t.authorisation,
        notice: serde_json::to_string(&one_time_notice(&programs, t.authorisation.is_some()))
            .expect("json"),
        taken_region: t.taken_region,
        date: today.to_string(),
    };
    let (id, _) = cases::create_application(db, actor, &app, &items).await?;
    Ok(id)
}
