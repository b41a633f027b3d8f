//! User roles (用户角色) and the coarse permissions each role carries.
//!
//! Region scoping (which households a user may see) is decided elsewhere; these methods
//! only answer "may this kind of user ever do X".

use crate::registry::code_enum;

code_enum! {
    /// A user role (用户角色).
    pub enum Role ("role") as array {
        WindowClerk = "window_clerk", "窗口受理员", "window clerk";
        TownshipOfficer = "township_officer", "乡镇民政经办", "township civil-affairs officer";
        CountyApprover = "county_approver", "县级民政审批", "county civil-affairs approver";
        DepartmentHandler = "department_handler", "部门经办", "department handler";
        VillageWorker = "village_worker", "村社网格员/志愿者", "village grid worker / volunteer";
        SocialOrganisation = "social_org", "社会组织", "social organisation";
        CityAdmin = "city_admin", "市级管理员", "city administrator";
        Auditor = "auditor", "审计员", "auditor";
    }
}

impl Role {
    /// May view registry records (households, members, evidence).
    ///
    /// Everyone except social organisations: they receive only de-identified referrals,
    /// never the registry itself.
    pub fn can_read_registry(self) -> bool {
        !matches!(self, Role::SocialOrganisation)
    }

    /// May create or change registry records.
    ///
    /// The civil-affairs chain (window clerk, township officer, county approver) and the
    /// city administrator. Department handlers only answer verification requests, village
    /// workers only report, auditors only look, social organisations see no registry.
    pub fn can_write_registry(self) -> bool {
        matches!(
            self,
            Role::WindowClerk | Role::TownshipOfficer | Role::CountyApprover | Role::CityAdmin
        )
    }

    /// May reveal unmasked identity numbers, phone numbers and full names.
    ///
    /// Those who handle cases under civil-affairs accountability plus the auditor (who must
    /// be able to check what others saw). Not village workers or volunteers, not department
    /// handlers (they match by their own records), not social organisations.
    pub fn can_reveal_sensitive(self) -> bool {
        matches!(
            self,
            Role::WindowClerk
                | Role::TownshipOfficer
                | Role::CountyApprover
                | Role::CityAdmin
                | Role::Auditor
        )
    }

    /// Sees full names of persons in lists and pages; the others see them masked
    /// (张三丰 → 张**): the roles that may reveal sensitive data, as the role table says.
    pub fn sees_full_names(self) -> bool {
        self.can_reveal_sensitive()
    }

    /// May create, disable and re-role user accounts: the city administrator only.
    pub fn can_admin_users(self) -> bool {
        matches!(self, Role::CityAdmin)
    }

    /// May read the audit log: the auditor, and the city administrator who answers for the
    /// system. Nobody can write to it directly.
    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Auditor | Role::CityAdmin)
    }

    /// May run bulk imports: county approvers (for their county) and the city administrator.
    /// Bulk changes are too wide for front-line roles.
    pub fn can_import(self) -> bool {
        matches!(self, Role::CountyApprover | Role::CityAdmin)
    }

    /// May work monitoring alerts (assign, investigate, close): the township officer who
    /// answers for the township's alerts, the county approver and the city administrator.
    pub fn can_work_alerts(self) -> bool {
        matches!(
            self,
            Role::TownshipOfficer | Role::CountyApprover | Role::CityAdmin
        )
    }

    /// May see alerts and rule statistics: those who work them, and the auditor.
    pub fn can_read_alerts(self) -> bool {
        self.can_work_alerts() || matches!(self, Role::Auditor)
    }

    /// May import department feeds: department handlers deliver their own department's
    /// data (the feed type names its departments), the city administrator any feed.
    pub fn can_import_feeds(self) -> bool {
        matches!(self, Role::DepartmentHandler | Role::CityAdmin)
    }

    /// May watch the deadlines of a region's cases (时限督办): the township and county that
    /// answer for them, the city administrator and the auditor.
    pub fn can_supervise_deadlines(self) -> bool {
        matches!(
            self,
            Role::CountyApprover | Role::CityAdmin | Role::Auditor | Role::TownshipOfficer
        )
    }

    /// May declare new feed types and run the monitoring rules on demand.
    pub fn can_admin_monitoring(self) -> bool {
        matches!(self, Role::CountyApprover | Role::CityAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        assert_eq!(Role::ALL.len(), 8);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.code())
            );
            assert_eq!(
                serde_json::from_str::<Role>(&format!("\"{}\"", role.code())).unwrap(),
                role
            );
        }
        assert_eq!(Role::SocialOrganisation.code(), "social_org");
        assert_eq!(Role::VillageWorker.label_zh(), "村社网格员/志愿者");
        assert_eq!(
            Role::parse("root").unwrap_err().to_string(),
            "unknown role: root"
        );
    }

    #[test]
    fn permission_matrix() {
        use Role::*;
        let who = |f: fn(Role) -> bool| Role::ALL.into_iter().filter(|r| f(*r)).collect::<Vec<_>>();
        assert_eq!(
            who(Role::can_read_registry),
            vec![
                WindowClerk,
                TownshipOfficer,
                CountyApprover,
                DepartmentHandler,
                VillageWorker,
                CityAdmin,
                Auditor
            ]
        );
        assert_eq!(
            who(Role::can_write_registry),
            vec![WindowClerk, TownshipOfficer, CountyApprover, CityAdmin]
        );
        assert_eq!(
            who(Role::can_reveal_sensitive),
            vec![
                WindowClerk,
                TownshipOfficer,
                CountyApprover,
                CityAdmin,
                Auditor
            ]
        );
        assert_eq!(who(Role::can_admin_users), vec![CityAdmin]);
        assert_eq!(who(Role::can_read_audit), vec![CityAdmin, Auditor]);
        assert_eq!(who(Role::can_import), vec![CountyApprover, CityAdmin]);
    }
}
