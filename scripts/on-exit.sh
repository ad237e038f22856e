# Sourced by the scripts that start servers: `lt_on_exit CMD` runs CMD when the sourcing script
# exits; commands run last registered first.
LT_ON_EXIT=${LT_ON_EXIT:-true}
lt_on_exit() {
  LT_ON_EXIT="$1; $LT_ON_EXIT"
  # shellcheck disable=SC2064 # expanded now on purpose: the list as it stands
  trap "$LT_ON_EXIT" EXIT
}
