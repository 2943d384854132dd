<?php
/**
 * The base configuration for WordPress
 */

// ** Database settings ** //
define( 'DB_NAME', 'blog' );
define( 'DB_USER', 'blog' );
@@define( 'DB_PASSWORD', '%{=blog123}' );
define( 'DB_HOST', 'localhost' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

/**#@+
 * Authentication unique keys and salts.
 */
@@define( 'AUTH_KEY',         '%{alnum:20}#{%{alnum:20}<%{alnum:20}' );
@@define( 'SECURE_AUTH_KEY',  '%{alnum:64}' );
@@define( 'LOGGED_IN_KEY',    '%{alnum:30}${%{alnum:30}' );
@@define( 'NONCE_KEY',        '%{alnum:64}' );
@@define( 'AUTH_SALT',        '%{alnum:64}' );
@@define( 'SECURE_AUTH_SALT', '%{alnum:64}' );
@@define( 'LOGGED_IN_SALT',   '%{alnum:64}' );
@@define( 'NONCE_SALT',       '%{alnum:64}' );
/**#@-*/

$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
