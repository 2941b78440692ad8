//! `list`: accounts by status, role, name or e-mail, a page at a time, for
//! admin and hr (others read their own account with `get`; a manager finds
//! their reports, with their accounts' ids, through `GET /employees`).

use hrms_employee::Requester;

use super::Context;
use crate::error::UserError;
use crate::listing::{MAX_LIMIT, UserPage, UserQuery};

pub async fn handle(
    query: UserQuery,
    requester: &Requester,
    ctx: &Context<'_>,
) -> Result<UserPage, UserError> {
    if !(1..=MAX_LIMIT).contains(&query.limit) {
        return Err(UserError::invalid("limit", format!("from 1 to {MAX_LIMIT}")));
    }
    if !requester.is_hr() {
        return Err(UserError::Forbidden("admin and hr list accounts; others read their own".into()));
    }
    Ok(ctx.store.list(&query).await?)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use hrms_events::Role;
    use hrms_events::user::UserStatus;
    use uuid::Uuid;

    use super::*;
    use crate::commands::testing::Harness;
    use crate::listing::UserFilter;
    use crate::model::User;
    use crate::store::UserStore;

    fn account(name: &str, role: Role) -> User {
        let now = Utc::now();
        User {
            user_id: Uuid::now_v7(),
            email: format!("{}.{}@example.com", name.to_lowercase(), Uuid::now_v7().simple()),
            full_name: name.into(),
            role,
            status: UserStatus::Active,
            employee_id: None,
            password_hash: "$argon2id$not-a-real-hash".into(),
            password_changed_at: now,
            role_changed_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn query(filter: UserFilter, limit: usize) -> UserQuery {
        UserQuery { filter, cursor: None, limit }
    }

    #[tokio::test]
    async fn admin_and_hr_page_through_accounts_others_may_not() {
        let h = Harness::new();
        let people =
            [account("Ada", Role::Employee), account("Alan", Role::Manager), account("Grace", Role::Hr)];
        for p in &people {
            h.users.insert(p, &[]).await.expect("stored");
        }
        let mut seen = Vec::new();
        let mut page = handle(query(UserFilter::default(), 2), &h.hr, &h.ctx()).await.expect("page");
        seen.extend(page.users.iter().map(|u| u.user_id));
        while let Some(cursor) = page.next_cursor.clone() {
            let next = UserQuery { cursor: Some(cursor), ..query(UserFilter::default(), 2) };
            page = handle(next, &h.admin, &h.ctx()).await.expect("page");
            seen.extend(page.users.iter().map(|u| u.user_id));
        }
        assert_eq!(seen.len(), 3);
        let managers = UserFilter { role: Some(Role::Manager), ..Default::default() };
        let found = handle(query(managers, 10), &h.hr, &h.ctx()).await.expect("managers");
        assert_eq!(found.users, [people[1].clone()]);

        let ada = Requester { user_id: people[0].user_id, role: Role::Manager, employee_id: None };
        let refused = handle(query(UserFilter::default(), 10), &ada, &h.ctx()).await;
        assert!(matches!(refused, Err(UserError::Forbidden(_))), "{refused:?}");
        let limit = handle(query(UserFilter::default(), 0), &h.hr, &h.ctx()).await;
        assert!(matches!(limit, Err(UserError::Invalid { field, .. }) if field == "limit"));
    }
}
