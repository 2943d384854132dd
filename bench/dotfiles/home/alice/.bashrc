# ~/.bashrc: executed by bash(1) for non-login shells.
case $- in
    *i*) ;;
      *) return;;
esac
HISTCONTROL=ignoreboth
export PS1='\u@\h:\w\$ '
export EDITOR=vim
alias ll='ls -alF'
@@export GITHUB_TOKEN=%{gh}
export VAULT_ADDR=https://vault.corp.internal:8200
# export OPENAI_API_KEY=$(pass show openai)
@@export OPENAI_API_KEY=sk-proj-%{b64url:74}T3BlbkFJ%{b64url:74}
