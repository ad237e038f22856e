//! People who use the web pages: roles, scopes and passwords (argon2id).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use password_hash::rand_core::OsRng;
use serde::{Deserialize, Serialize};

/// What a person may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Role {
    /// Pushes and follows the cases of their communes.
    CommuneOfficer,
    /// Decides the insurance legs of their offices.
    InsuranceStaff,
    /// Decides the residence legs of their offices.
    PoliceStaff,
    /// Sees everything, resends, resolves and cancels.
    Admin,
    /// Keeps deliveries moving: sees everything, resends, resolves, pauses and resumes; cancels
    /// no case (docs/operations.md, "Roles").
    Operator,
    /// Sees everything an administrator sees and changes nothing: inspection, audit, reports.
    Auditor,
}

impl Role {
    /// The stable name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CommuneOfficer => "commune_officer",
            Role::InsuranceStaff => "insurance_staff",
            Role::PoliceStaff => "police_staff",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// Every role, in the order forms list them.
    pub const ALL: [Role; 6] = [
        Role::CommuneOfficer,
        Role::InsuranceStaff,
        Role::PoliceStaff,
        Role::Admin,
        Role::Operator,
        Role::Auditor,
    ];

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Vietnamese name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::CommuneOfficer => "Cán bộ một cửa xã",
            Role::InsuranceStaff => "Cán bộ Bảo hiểm xã hội",
            Role::PoliceStaff => "Cán bộ Công an",
            Role::Admin => "Quản trị hệ thống",
            Role::Operator => "Cán bộ vận hành",
            Role::Auditor => "Thanh tra, kiểm tra (chỉ xem)",
        }
    }

    /// The roles that see every commune's cases and the whole dashboard.
    pub const OVERSIGHT: [Role; 3] = [Role::Admin, Role::Operator, Role::Auditor];

    /// The roles that act on a commune's cases (apology, supplement, hand-over, complaints).
    pub const COMMUNE_ACTIONS: [Role; 2] = [Role::CommuneOfficer, Role::Admin];

    /// The roles that act on transfers: resend, resolve, pause and resume.
    pub const OPERATIONS: [Role; 2] = [Role::Admin, Role::Operator];

    /// Whether the role sees every commune and office (no scopes).
    pub fn oversees(self) -> bool {
        Role::OVERSIGHT.contains(&self)
    }

    /// The leg an agency role decides.
    pub fn decides(self) -> Option<lienthong_contract::LegKind> {
        match self {
            Role::InsuranceStaff => Some(lienthong_contract::LegKind::Insurance),
            Role::PoliceStaff => Some(lienthong_contract::LegKind::Residence),
            _ => None,
        }
    }
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// Commune codes for officers, office codes for agency staff; empty for the oversight roles.
    pub scopes: Vec<String>,
}

impl User {
    /// Whether a commune or office code is one of the user's scopes.
    pub fn in_scope(&self, code: &str) -> bool {
        self.scopes.iter().any(|s| s == code)
    }

    /// The actor recorded in the audit trail.
    pub fn actor(&self) -> String {
        format!("user:{}", self.login)
    }

    /// Whether this person may see a case of `commune`.
    pub fn sees_commune(&self, commune: &str) -> bool {
        self.role.oversees() || (self.role == Role::CommuneOfficer && self.scopes.iter().any(|c| c == commune))
    }
}

/// Why a role's scopes do not fit the routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeProblem {
    /// A commune or agency role with no scope at all.
    Missing,
    /// A code that is not a commune (or office) of the routes, or any code for a role that
    /// sees everything.
    Unknown(String),
}

impl ScopeProblem {
    /// For the command line.
    pub fn english(&self, role: Role) -> String {
        match self {
            ScopeProblem::Missing => "this role needs at least one --scope (a commune or office code)".into(),
            ScopeProblem::Unknown(s) => format!(
                "scope '{s}' is not a {} in routes.toml",
                match role {
                    Role::CommuneOfficer => "commune",
                    Role::Admin | Role::Operator | Role::Auditor => "scope of this role (it sees everything)",
                    _ => "matching office",
                }
            ),
        }
    }

    /// For the administrators' page.
    pub fn vietnamese(&self, role: Role) -> String {
        match self {
            ScopeProblem::Missing => "Vai trò này cần ít nhất một phạm vi (mã xã hoặc mã đơn vị).".into(),
            ScopeProblem::Unknown(s) => match role {
                Role::CommuneOfficer => format!("“{s}” không phải mã xã trong cấu hình tuyến."),
                Role::Admin | Role::Operator | Role::Auditor => {
                    format!("Vai trò này xem toàn bộ, không nhận phạm vi (“{s}”).")
                }
                _ => format!("“{s}” không phải mã đơn vị của vai trò này trong cấu hình tuyến."),
            },
        }
    }
}

/// Whether `scopes` fit `role`: commune codes for officers, office codes of the matching agency
/// for its staff, none for the roles that see everything.
pub fn scope_problems(config: &crate::config::Config, role: Role, scopes: &[String]) -> Vec<ScopeProblem> {
    let routes = &config.routes;
    let known = |s: &str| match role {
        Role::CommuneOfficer => routes.communes.contains_key(s),
        Role::InsuranceStaff => routes.insurance_offices.contains_key(s),
        Role::PoliceStaff => routes.police_offices.contains_key(s),
        Role::Admin | Role::Operator | Role::Auditor => false,
    };
    let mut problems = Vec::new();
    if !role.oversees() && scopes.is_empty() {
        problems.push(ScopeProblem::Missing);
    }
    problems.extend(
        scopes
            .iter()
            .filter(|s| !known(s))
            .map(|s| ScopeProblem::Unknown(s.clone())),
    );
    problems
}

/// Problems with a user about to be created on the command line: scopes that do not exist for
/// the role, a short password.
pub fn check_new_user(config: &crate::config::Config, role: Role, scopes: &[String], password: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if password.chars().count() < 10 {
        problems.push("the password needs at least 10 characters".to_string());
    }
    problems.extend(scope_problems(config, role, scopes).iter().map(|p| p.english(role)));
    problems
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let h = hash_password("mật-khẩu-dài-1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật-khẩu-dài-1", &h));
        assert!(!verify_password("mật-khẩu-dài-2", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
