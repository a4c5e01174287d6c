import type { ServiceCredential, ServiceUserDef } from "./credentials";
import { DEBIAN_SYS_MAINT } from "./credentials";

/**
 * The lab's NGCP databases (pure SQL text). A handful of tables per database, shaped after NGCP's schema
 * and filled with some hundreds of deterministic rows, so a backup, a restore or a drill can be proven by
 * row counts and checksums. Rows come from MariaDB's built-in SEQUENCE engine (`seq_1_to_N`), which keeps
 * the seed short and identical on every node.
 */

export const SEEDED_DATABASES = ["accounting", "billing", "kamailio", "provisioning"] as const;

/** Tables of every seeded database, in creation order (referencing tables come after referenced ones). */
export function schemaSql(): string {
  return `
CREATE DATABASE provisioning CHARACTER SET utf8mb4;
USE provisioning;
CREATE TABLE voip_domains (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  domain VARCHAR(127) NOT NULL UNIQUE
) ENGINE=InnoDB;
CREATE TABLE voip_subscribers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(127) NOT NULL,
  domain_id INT UNSIGNED NOT NULL,
  uuid CHAR(36) NOT NULL,
  password VARCHAR(40) DEFAULT NULL,
  webusername VARCHAR(127) DEFAULT NULL,
  is_pbx_group TINYINT(1) NOT NULL DEFAULT 0,
  create_timestamp DATETIME NOT NULL,
  UNIQUE KEY user_domain (username, domain_id),
  KEY uuid (uuid),
  CONSTRAINT v_s_domain_ref FOREIGN KEY (domain_id) REFERENCES voip_domains (id)
) ENGINE=InnoDB;
CREATE TABLE voip_preferences (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  attribute VARCHAR(31) NOT NULL UNIQUE,
  data_type ENUM('boolean','int','string') NOT NULL DEFAULT 'string',
  max_occur TINYINT UNSIGNED NOT NULL DEFAULT 1,
  description TEXT
) ENGINE=InnoDB;
CREATE TABLE voip_usr_preferences (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  subscriber_id INT UNSIGNED NOT NULL,
  attribute_id INT UNSIGNED NOT NULL,
  value VARCHAR(128) NOT NULL,
  modify_timestamp DATETIME NOT NULL,
  KEY subscriber (subscriber_id),
  CONSTRAINT v_u_p_subscriber_ref FOREIGN KEY (subscriber_id) REFERENCES voip_subscribers (id) ON DELETE CASCADE,
  CONSTRAINT v_u_p_attribute_ref FOREIGN KEY (attribute_id) REFERENCES voip_preferences (id)
) ENGINE=InnoDB;

CREATE DATABASE billing CHARACTER SET utf8mb4;
USE billing;
CREATE TABLE billing_profiles (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  handle VARCHAR(63) NOT NULL UNIQUE,
  name VARCHAR(31) NOT NULL,
  interval_charge DECIMAL(10,4) NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT 'EUR'
) ENGINE=InnoDB;
CREATE TABLE contacts (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  firstname VARCHAR(127),
  lastname VARCHAR(127),
  company VARCHAR(127),
  email VARCHAR(255),
  create_timestamp DATETIME NOT NULL
) ENGINE=InnoDB;
CREATE TABLE contracts (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  contact_id INT UNSIGNED NOT NULL,
  billing_profile_id INT UNSIGNED NOT NULL,
  status ENUM('pending','active','locked','terminated') NOT NULL DEFAULT 'active',
  create_timestamp DATETIME NOT NULL,
  CONSTRAINT c_contact_ref FOREIGN KEY (contact_id) REFERENCES contacts (id),
  CONSTRAINT c_profile_ref FOREIGN KEY (billing_profile_id) REFERENCES billing_profiles (id)
) ENGINE=InnoDB;
CREATE TABLE voip_subscribers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  contract_id INT UNSIGNED NOT NULL,
  uuid CHAR(36) NOT NULL UNIQUE,
  username VARCHAR(127) NOT NULL,
  domain VARCHAR(127) NOT NULL,
  status ENUM('active','locked','terminated') NOT NULL DEFAULT 'active',
  CONSTRAINT b_v_s_contract_ref FOREIGN KEY (contract_id) REFERENCES contracts (id)
) ENGINE=InnoDB;

CREATE DATABASE accounting CHARACTER SET utf8mb4;
USE accounting;
CREATE TABLE cdr (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  update_time TIMESTAMP NOT NULL DEFAULT '2024-01-01 00:00:00',
  source_user_id CHAR(36) NOT NULL,
  source_user VARCHAR(255) NOT NULL,
  source_domain VARCHAR(255) NOT NULL,
  destination_user VARCHAR(255) NOT NULL,
  destination_domain VARCHAR(255) NOT NULL,
  call_type ENUM('call','cfu','cft','cfb','cfna','sms') NOT NULL DEFAULT 'call',
  call_status ENUM('ok','busy','noanswer','cancel','offline','timeout','other') NOT NULL DEFAULT 'ok',
  call_code CHAR(3) NOT NULL,
  init_time DECIMAL(13,3) NOT NULL,
  start_time DECIMAL(13,3) NOT NULL,
  duration DECIMAL(13,3) NOT NULL,
  call_id VARCHAR(255) NOT NULL,
  source_customer_cost DECIMAL(10,2) NOT NULL DEFAULT 0,
  rating_status ENUM('unrated','ok','failed') NOT NULL DEFAULT 'unrated',
  rated_at DATETIME DEFAULT NULL,
  export_status ENUM('unexported','ok','failed') NOT NULL DEFAULT 'unexported',
  KEY call_id (call_id),
  KEY start_time (start_time)
) ENGINE=InnoDB;
CREATE TABLE mark (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  collector VARCHAR(255) NOT NULL,
  acc_id BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;

CREATE DATABASE kamailio CHARACTER SET utf8mb4;
USE kamailio;
CREATE TABLE version (
  table_name VARCHAR(32) NOT NULL PRIMARY KEY,
  table_version INT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB;
CREATE TABLE subscriber (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) NOT NULL,
  domain VARCHAR(64) NOT NULL,
  password VARCHAR(40) NOT NULL,
  ha1 VARCHAR(64) NOT NULL,
  ha1b VARCHAR(64) NOT NULL,
  uuid CHAR(36) NOT NULL,
  timestamp DATETIME NOT NULL,
  UNIQUE KEY account_idx (username, domain),
  KEY uuid_idx (uuid)
) ENGINE=InnoDB;
CREATE TABLE location (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ruid VARCHAR(64) NOT NULL UNIQUE,
  username VARCHAR(64) NOT NULL,
  domain VARCHAR(64) DEFAULT NULL,
  contact VARCHAR(512) NOT NULL,
  received VARCHAR(128) DEFAULT NULL,
  expires DATETIME NOT NULL,
  user_agent VARCHAR(255) NOT NULL DEFAULT '',
  KEY account_contact_idx (username, domain, contact(64))
) ENGINE=InnoDB;
CREATE TABLE acc (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  method VARCHAR(16) NOT NULL,
  from_tag VARCHAR(64) NOT NULL,
  to_tag VARCHAR(64) NOT NULL,
  callid VARCHAR(255) NOT NULL,
  sip_code VARCHAR(3) NOT NULL,
  sip_reason VARCHAR(128) NOT NULL,
  time DATETIME NOT NULL,
  time_hires DECIMAL(13,3) NOT NULL,
  src_user VARCHAR(64) NOT NULL,
  src_domain VARCHAR(128) NOT NULL,
  dst_user VARCHAR(64) NOT NULL,
  dst_domain VARCHAR(128) NOT NULL,
  KEY callid_idx (callid)
) ENGINE=InnoDB;
`;
}

/** A deterministic UUID-shaped value for row `seq` (the same on every node, so checksums compare). */
const uuidExpr = (salt: string, n = "seq"): string => {
  const h = `MD5(CONCAT('${salt}', ${n}))`;
  return `CONCAT_WS('-', SUBSTR(${h}, 1, 8), SUBSTR(${h}, 9, 4), SUBSTR(${h}, 13, 4), SUBSTR(${h}, 17, 4), SUBSTR(${h}, 21, 12))`;
};

/** Row counts of the seed, per `database.table`; tests and drills compare against these. */
export const SEED_ROW_COUNTS: Readonly<Record<string, number>> = {
  "provisioning.voip_domains": 3,
  "provisioning.voip_subscribers": 250,
  "provisioning.voip_preferences": 12,
  "provisioning.voip_usr_preferences": 500,
  "billing.billing_profiles": 3,
  "billing.contacts": 120,
  "billing.contracts": 120,
  "billing.voip_subscribers": 250,
  "accounting.cdr": 600,
  "accounting.mark": 3,
  "kamailio.version": 4,
  "kamailio.subscriber": 250,
  "kamailio.location": 40,
  "kamailio.acc": 300,
};

export function seedRowsSql(): string {
  const sub = uuidExpr("sub");
  return `
USE provisioning;
INSERT INTO voip_domains (id, domain) VALUES (1, 'voip.example.org'), (2, 'sip.example.net'), (3, 'lab.example.com');
INSERT INTO voip_subscribers (id, username, domain_id, uuid, password, webusername, is_pbx_group, create_timestamp)
  SELECT seq, CONCAT('4312345', LPAD(seq, 4, '0')), 1 + seq % 3, ${sub}, SUBSTR(MD5(CONCAT('pw', seq)), 1, 16),
         CONCAT('web', seq), seq % 25 = 0, '2024-01-01 00:00:00' + INTERVAL seq HOUR
  FROM seq_1_to_250;
INSERT INTO voip_preferences (id, attribute, data_type, max_occur, description) VALUES
  (1, 'cli', 'string', 1, 'Calling line identity'),
  (2, 'clir', 'boolean', 1, 'Calling line identity restriction'),
  (3, 'cfu', 'string', 0, 'Call forward unconditional'),
  (4, 'cfb', 'string', 0, 'Call forward on busy'),
  (5, 'cft', 'string', 0, 'Call forward on timeout'),
  (6, 'cfna', 'string', 0, 'Call forward when not available'),
  (7, 'ringtimeout', 'int', 1, 'Seconds before cft applies'),
  (8, 'concurrent_max', 'int', 1, 'Concurrent calls allowed'),
  (9, 'nat_sipping', 'boolean', 1, 'Send SIP keepalives'),
  (10, 'lock', 'int', 1, 'Lock level'),
  (11, 'language', 'string', 1, 'Prompt language'),
  (12, 'allowed_ips', 'string', 0, 'Registration source whitelist');
INSERT INTO voip_usr_preferences (subscriber_id, attribute_id, value, modify_timestamp)
  SELECT 1 + (seq - 1) % 250, IF(seq <= 250, 1, 7), IF(seq <= 250, CONCAT('4312345', LPAD(seq, 4, '0')), '30'),
         '2024-02-01 00:00:00' + INTERVAL seq MINUTE
  FROM seq_1_to_500;

USE billing;
INSERT INTO billing_profiles (id, handle, name, interval_charge, currency) VALUES
  (1, 'default', 'Default Billing Profile', 0, 'EUR'),
  (2, 'business', 'Business', 0.0150, 'EUR'),
  (3, 'residential', 'Residential', 0.0210, 'EUR');
INSERT INTO contacts (id, firstname, lastname, company, email, create_timestamp)
  SELECT seq, CONCAT('First', seq), CONCAT('Last', seq), IF(seq % 4 = 0, CONCAT('Company ', seq), NULL),
         CONCAT('customer', seq, '@example.org'), '2023-06-01 00:00:00' + INTERVAL seq DAY
  FROM seq_1_to_120;
INSERT INTO contracts (id, contact_id, billing_profile_id, status, create_timestamp)
  SELECT seq, seq, 1 + seq % 3, IF(seq % 17 = 0, 'terminated', 'active'), '2023-06-02 00:00:00' + INTERVAL seq DAY
  FROM seq_1_to_120;
INSERT INTO voip_subscribers (id, contract_id, uuid, username, domain, status)
  SELECT seq, 1 + (seq - 1) % 120, ${sub}, CONCAT('4312345', LPAD(seq, 4, '0')),
         ELT(1 + seq % 3, 'voip.example.org', 'sip.example.net', 'lab.example.com'), 'active'
  FROM seq_1_to_250;

USE accounting;
INSERT INTO cdr (id, source_user_id, source_user, source_domain, destination_user, destination_domain, call_type,
                 call_status, call_code, init_time, start_time, duration, call_id, source_customer_cost, rating_status,
                 rated_at, export_status)
  SELECT seq, ${uuidExpr("sub", "1 + seq % 250")}, CONCAT('4312345', LPAD(1 + seq % 250, 4, '0')), 'voip.example.org',
         CONCAT('4398765', LPAD(seq, 4, '0')), 'voip.example.org', 'call',
         ELT(1 + seq % 5, 'ok', 'ok', 'ok', 'busy', 'noanswer'), ELT(1 + seq % 5, '200', '200', '200', '486', '480'),
         1704067200 + seq * 97, 1704067203 + seq * 97, IF(seq % 5 < 3, 30 + seq % 600, 0),
         CONCAT(MD5(CONCAT('call', seq)), '@voip.example.org'), IF(seq % 5 < 3, ROUND((30 + seq % 600) * 0.0002, 2), 0),
         'ok', '2024-01-02 00:00:00' + INTERVAL seq MINUTE, IF(seq <= 450, 'ok', 'unexported')
  FROM seq_1_to_600;
INSERT INTO mark (id, collector, acc_id) VALUES (1, 'mediator', 300), (2, 'exporter', 450), (3, 'rateomat', 600);

USE kamailio;
INSERT INTO version (table_name, table_version) VALUES ('subscriber', 7), ('location', 9), ('acc', 5), ('version', 1);
INSERT INTO subscriber (id, username, domain, password, ha1, ha1b, uuid, timestamp)
  SELECT seq, CONCAT('4312345', LPAD(seq, 4, '0')), ELT(1 + seq % 3, 'voip.example.org', 'sip.example.net', 'lab.example.com'),
         SUBSTR(MD5(CONCAT('pw', seq)), 1, 16), MD5(CONCAT('ha1', seq)), MD5(CONCAT('ha1b', seq)), ${sub},
         '2024-01-01 00:00:00' + INTERVAL seq HOUR
  FROM seq_1_to_250;
INSERT INTO location (id, ruid, username, domain, contact, received, expires, user_agent)
  SELECT seq, CONCAT('uloc-', SUBSTR(MD5(CONCAT('ruid', seq)), 1, 16)), CONCAT('4312345', LPAD(seq, 4, '0')), 'voip.example.org',
         CONCAT('sip:4312345', LPAD(seq, 4, '0'), '@192.0.2.', seq, ':5060'), CONCAT('sip:203.0.113.', seq, ':', 1024 + seq),
         '2030-01-01 00:00:00', 'Lab Phone 1.0'
  FROM seq_1_to_40;
INSERT INTO acc (id, method, from_tag, to_tag, callid, sip_code, sip_reason, time, time_hires, src_user, src_domain, dst_user, dst_domain)
  SELECT seq, IF(seq % 2 = 1, 'INVITE', 'BYE'), SUBSTR(MD5(CONCAT('ft', seq)), 1, 10), SUBSTR(MD5(CONCAT('tt', seq)), 1, 10),
         CONCAT(MD5(CONCAT('call', (seq + 1) DIV 2)), '@voip.example.org'), '200', 'OK',
         '2024-01-01 00:00:00' + INTERVAL seq MINUTE, 1704067200 + seq * 60,
         CONCAT('4312345', LPAD(1 + seq % 250, 4, '0')), 'voip.example.org', CONCAT('4398765', LPAD(seq, 4, '0')), 'voip.example.org'
  FROM seq_1_to_300;
`;
}

/** Quotes a string literal for MariaDB (pure; backslashes and single quotes). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function grantTarget(database: string): string {
  return database === "*" ? "*.*" : `\`${database}\`.*`;
}

/**
 * Creates the service users, localhost only, with their grants. Used for the template (with throwaway
 * passwords that first boot replaces) and by `ngcp-reset-db`.
 */
export function createServiceUsersSql(
  defs: readonly ServiceUserDef[],
  passwordOf: (key: string) => string,
): string {
  const out: string[] = [];
  for (const d of defs) {
    const who = `${sqlString(d.user)}@'localhost'`;
    out.push(`CREATE OR REPLACE USER ${who} IDENTIFIED BY ${sqlString(passwordOf(d.key))};`);
    for (const g of d.grants) {
      out.push(
        `GRANT ${g.privileges} ON ${grantTarget(g.database)} TO ${who}${d.withGrantOption ? " WITH GRANT OPTION" : ""};`,
      );
    }
  }
  return out.join("\n") + "\n";
}

/** Sets the service users' passwords to the node's own (first boot, ngcp-reset-db). */
export function setPasswordsSql(creds: readonly ServiceCredential[]): string {
  return (
    creds
      .map((c) => `ALTER USER ${sqlString(c.user)}@'localhost' IDENTIFIED BY ${sqlString(c.password)};`)
      .join("\n") + "\n"
  );
}

/** The older edition's Debian maintenance user (debian.cnf), all privileges like Debian's packaging made it. */
export function debianSysMaintSql(password: string): string {
  const who = `${sqlString(DEBIAN_SYS_MAINT)}@'localhost'`;
  return `CREATE OR REPLACE USER ${who} IDENTIFIED BY ${sqlString(password)};\nGRANT ALL PRIVILEGES ON *.* TO ${who} WITH GRANT OPTION;\n`;
}

/**
 * Leaves exactly one root account, root@localhost without a password (mysql_native_password), as on a fresh
 * CE. mariadb-install-db also creates root@127.0.0.1, root@::1 and root@<build host>; kept, they would let a
 * TCP login from 127.0.0.1 match a password-less account after root@localhost got a password.
 */
export function rootAccountsSql(): string {
  return (
    "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost';\n" +
    "DELETE FROM mysql.global_priv WHERE User = '';\n" +
    "FLUSH PRIVILEGES;\n"
  );
}
