# Pester suite for the rendered offline repair script (test/pester/offline/offline.test.ts runs it).
# The script runs for real; only what needs Windows is replaced: the Storage cmdlets (Get-Disk,
# Get-Partition, Set-Disk, Add-PartitionAccessPath) and the script's seam (Invoke-Tool for reg.exe,
# bcdedit.exe, icacls.exe, takeown.exe, mountvol.exe; Get-VolumeRoot; Get-DiskLun). Volumes are
# folders under TestDrive, so backups and hive files are real files the test can look at.
param(
  [Parameter(Mandatory)][string]$ScriptPath,
  [Parameter(Mandatory)][string]$NoSerialScriptPath,
  # Rendered for the disk $BoundDiskId at LUN 1 (without serial console: disk 3 has no boot store).
  [Parameter(Mandatory)][string]$BoundScriptPath,
  [Parameter(Mandatory)][string]$BoundDiskId,
  # An empty real registry hive; with it, `reg import` merges into a real SYSTEM file (Debian's hivex tools).
  [Parameter(Mandatory)][string]$HivePath
)

BeforeAll {
  # The Storage module exists only on Windows: stubs with the parameters the script uses, for Mock to replace.
  function global:Get-Disk { throw 'not mocked' }
  function global:Set-Disk([int]$Number, [bool]$IsOffline, [bool]$IsReadOnly) { throw 'not mocked' }
  function global:Get-Partition([int]$DiskNumber) { throw 'not mocked' }
  function global:Add-PartitionAccessPath([int]$DiskNumber, [int]$PartitionNumber, [string]$AccessPath) {
    throw 'not mocked'
  }
  # The seam functions exist once the script runs; Mock needs them now, with the script's own signatures,
  # so they are taken from the rendered script's AST (a mock's alias then wins over the script's function).
  $ast = [Management.Automation.Language.Parser]::ParseFile($ScriptPath, [ref]$null, [ref]$null)
  foreach ($name in 'Invoke-Tool', 'Get-VolumeRoot', 'Get-DiskLun') {
    $isSeam = { param($n) $n -is [Management.Automation.Language.FunctionDefinitionAst] -and $n.Name -eq $name }
    $fn = $ast.Find($isSeam, $true)
    if (-not $fn) { throw "the offline script has no seam function $name" }
    . ([scriptblock]::Create(($fn.Extent.Text -replace '^function ', 'function global:')))
  }
  $script:EspGuid = '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}'
  $script:DataGuid = '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}'

  function New-Volume([string]$Name) {
    $dir = Join-Path $MachineDir $Name
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $dir
  }
  function New-WindowsVolume([string]$Name) {
    $dir = New-Volume $Name
    $paths = "$dir/Windows/System32/config", "$dir/ProgramData/Microsoft/Crypto/RSA/MachineKeys"
    New-Item -ItemType Directory -Path $paths -Force | Out-Null
    foreach ($f in 'SYSTEM', 'SYSTEM.LOG1', 'SYSTEM.LOG2') {
      Set-Content -LiteralPath "$dir/Windows/System32/config/$f" -Value "hive $f of $Name"
    }
    $dir
  }
  function New-Part([int]$Disk, [int]$Number, [string]$Type, [string]$Dir,
                    [string]$Letter = '', [string]$GptType = '', [bool]$Active = $false) {
    [pscustomobject]@{
      DiskNumber = $Disk; PartitionNumber = $Number; Type = $Type; GptType = $GptType; IsActive = $Active
      # Windows reports a partition without a drive letter as [char]0.
      DriveLetter = $(if ($Letter) { [char]$Letter } else { [char]0 })
      AccessPaths = @("\\?\Volume{0000000$Disk-000$Number}\"); Dir = $Dir
    }
  }

  # A rescue VM (disk 0 boots it) with the broken VM's disk copy at LUN 0 (disk 2, offline) and an
  # unrelated offline data disk at LUN 1 (disk 3) that also holds a Windows installation.
  function New-Machine([ValidateSet(1, 2)][int]$Generation) {
    # TestDrive lives as long as the Describe block: every machine gets its own folder.
    $script:MachineDir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
    $m = @{
      Calls = [Collections.ArrayList]@(); Letters = @{}; HiveLoaded = $false; Fail = @{}; UnloadFailures = 0
      Current = 1; ControlSets = @('ControlSet001', 'ControlSet002'); PagingFiles = 'D:\pagefile.sys 0 0'
      BackupAtLoad = $null
    }
    $rescue = New-WindowsVolume 'rescue-C'
    $m.Letters['C'] = $rescue
    function New-Disk($Number, $Boot, $Offline, $ReadOnly, $Lun) {
      [pscustomobject]@{
        Number = $Number; IsBoot = $Boot; IsSystem = $Boot; IsOffline = $Offline; IsReadOnly = $ReadOnly
        OfflineReason = $(if ($Offline) { 'Policy' } else { $null }); Lun = $Lun
      }
    }
    $m.Disks = @(
      (New-Disk 0 $true $false $false 0), (New-Disk 2 $false $true $true 0), (New-Disk 3 $false $true $false 1)
    )
    $win = New-WindowsVolume 'disk2-windows'
    $other = New-WindowsVolume 'disk3-windows'
    if ($Generation -eq 2) {
      $esp = New-Volume 'disk2-esp'
      New-Item -ItemType Directory -Path "$esp/EFI/Microsoft/Boot" -Force | Out-Null
      Set-Content -LiteralPath "$esp/EFI/Microsoft/Boot/BCD" -Value 'bcd'
      Set-Content -LiteralPath "$esp/EFI/Microsoft/Boot/BCD.LOG" -Value 'bcd log'
      $m.Parts = @(
        (New-Part 2 1 'System' $esp -GptType $EspGuid),
        (New-Part 2 2 'Reserved' (New-Volume 'disk2-msr') -GptType '{e3c9e316-0b5c-4db8-817d-f92df00215ae}'),
        (New-Part 2 3 'Basic' $win -GptType $DataGuid),
        (New-Part 2 4 'Recovery' (New-Volume 'disk2-recovery') -GptType '{de94bba4-06d1-4d40-a16a-bfd50179d6ac}')
      )
      $m.BootStore = "$esp\EFI\Microsoft\Boot\BCD"
    } else {
      $reserved = New-Volume 'disk2-reserved'
      New-Item -ItemType Directory -Path "$reserved/boot" -Force | Out-Null
      Set-Content -LiteralPath "$reserved/boot/BCD" -Value 'bcd'
      $m.Parts = @((New-Part 2 1 'IFS' $reserved -Active $true), (New-Part 2 2 'IFS' $win))
      $m.BootStore = "$reserved\boot\BCD"
    }
    $m.Parts += (New-Part 3 1 'IFS' $other)
    $m.Windows = $win
    $m.Rescue = $rescue
    $script:M = $m
  }

  function Get-LetterFor($Part) {
    foreach ($k in $M.Letters.Keys) { if ($M.Letters[$k] -eq $Part.Dir) { return $k } }
    $null
  }

  function Invoke-FakeTool([string]$Exe, [string[]]$Arguments) {
    $line = "$Exe $($Arguments -join ' ')"
    [void]$M.Calls.Add($line)
    $ok = [pscustomobject]@{ Code = 0; Output = '' }
    $fail = [pscustomobject]@{ Code = 1; Output = "ERROR: injected failure of $line" }
    foreach ($pattern in $M.Fail.Keys) { if ($line -like $pattern) { return $fail } }
    switch ($Exe) {
      'reg.exe' {
        $hive = 'HKLM\BROKENSYSTEM'
        switch ($Arguments[0]) {
          'load' {
            if ($M.HiveLoaded) { return $fail }
            $M.HiveLoaded = $true
            $M.LoadedFile = $Arguments[2] -replace '\\', '/'
            $M.BackupAtLoad = @(Get-ChildItem -Recurse -File -LiteralPath $M.Windows |
              Where-Object { $_.FullName -like '*rescue-backup*' } | ForEach-Object Name)
            return $ok
          }
          'unload' {
            if ($M.UnloadFailures -gt 0) { $M.UnloadFailures--; return $fail }
            $M.HiveLoaded = $false; return $ok
          }
          'query' {
            if (-not $M.HiveLoaded) { return $fail }
            $key = $Arguments[1]
            if ($key -eq $hive) { return $ok }
            if ($key -eq "$hive\Select" -and $Arguments[3] -eq 'Current') {
              if ($null -eq $M.Current) { return $fail }
              $text = "HKEY_LOCAL_MACHINE\BROKENSYSTEM\Select`r`n    Current    REG_DWORD    0x$($M.Current)"
              return [pscustomobject]@{ Code = 0; Output = $text }
            }
            if ($key -match '^HKLM\\BROKENSYSTEM\\(ControlSet\d{3})$') {
              return $(if ($M.ControlSets -contains $Matches[1]) { $ok } else { $fail })
            }
            if ($key -match 'Memory Management$' -and $Arguments[3] -eq 'PagingFiles') {
              $text = "$key`r`n    PagingFiles    REG_MULTI_SZ    $($M.PagingFiles)"
              return [pscustomobject]@{ Code = 0; Output = $text }
            }
            return $fail
          }
          'import' {
            if (-not $M.HiveLoaded -or -not (Test-Path -LiteralPath $Arguments[1])) { return $fail }
            if ($M.RealHive) {
              # reg.exe reads the UTF-16LE file the script wrote; hivexregedit wants UTF-8.
              $utf8 = ($Arguments[1] -replace '\\', '/') + '.utf8'
              Get-Content -Raw -Encoding Unicode -LiteralPath $Arguments[1] | Set-Content -NoNewline -LiteralPath $utf8
              & hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\BROKENSYSTEM' $M.LoadedFile $utf8
              if ($LASTEXITCODE -ne 0) { return $fail }
            }
            return $ok
          }
          'add' { if (-not $M.HiveLoaded) { return $fail }; return $ok }
        }
        return $fail
      }
      'bcdedit.exe' {
        if ($Arguments[0] -ne '/store' -or -not (Test-Path -LiteralPath $Arguments[1])) { return $fail }
        return $ok
      }
      'mountvol.exe' {
        $part = $M.Parts | Where-Object { $_.AccessPaths -contains $Arguments[1] }
        if (-not $part) { return $fail }
        $M.Letters[$Arguments[0].TrimEnd(':')] = $part.Dir
        return $ok
      }
      default { return $ok }
    }
  }

  function Invoke-Repair([string]$Path = $ScriptPath) {
    $out = @(& $Path)
    $script:ExitCode = $LASTEXITCODE
    $script:Report = $out[-1] | ConvertFrom-Json
    $script:Report
  }
  function Get-Result([string]$Id) { $Report.results | Where-Object { $_.id -eq $Id } }
  function Get-Calls([string]$Pattern) { @($M.Calls | Where-Object { $_ -like $Pattern }) }
  function Get-CallIndex([string]$Pattern) {
    for ($i = 0; $i -lt $M.Calls.Count; $i++) { if ($M.Calls[$i] -like $Pattern) { return $i } }
    -1
  }
}

Describe 'offline repair script (<Generation>)' -ForEach @(@{ Generation = 1 }, @{ Generation = 2 }) {
  BeforeEach { New-Machine -Generation $Generation }

  # Mocks are set once per block (Should -Invoke still counts per test); they read the current $M.
  BeforeAll {
    # The Windows partition gets its letter when the disk comes online; the boot partition has none.
    Mock Set-Disk {
      $d = $M.Disks | Where-Object Number -eq $Number
      if ($PSBoundParameters.ContainsKey('IsOffline')) {
        $d.IsOffline = $IsOffline
        [void]$M.Calls.Add("Set-Disk $Number online")
        $M.Parts | Where-Object { $_.DiskNumber -eq $Number -and $_.Dir -like '*windows' } |
          ForEach-Object { $_.DriveLetter = [char]'F'; $M.Letters['F'] = $_.Dir }
      }
      if ($PSBoundParameters.ContainsKey('IsReadOnly')) {
        $d.IsReadOnly = $IsReadOnly
        [void]$M.Calls.Add("Set-Disk $Number writable")
      }
    }
    Mock Get-Disk { $M.Disks }
    Mock Get-Partition { $M.Parts | Where-Object DiskNumber -eq $DiskNumber }
    Mock Add-PartitionAccessPath {
      $p = $M.Parts | Where-Object { $_.DiskNumber -eq $DiskNumber -and $_.PartitionNumber -eq $PartitionNumber }
      # Like Windows, the Storage API refuses a drive letter for the EFI system partition.
      if ($p.GptType -eq $EspGuid) { throw 'The requested access path is not valid.' }
      [void]$M.Calls.Add("Add-PartitionAccessPath $DiskNumber/$PartitionNumber $AccessPath")
      $M.Letters[$AccessPath.Substring(0, 1)] = $p.Dir
    }
    Mock Invoke-Tool { Invoke-FakeTool $Exe $Arguments }
    Mock Get-VolumeRoot { if ($M.Letters.ContainsKey($Letter)) { $M.Letters[$Letter] } else { "/nonexistent/$Letter" } }
    Mock Get-DiskLun { ($M.Disks | Where-Object Number -eq $Number).Lun }
    Mock Start-Sleep { }
  }

  It 'repairs the disk at LUN 0: hive imported per control set, MachineKeys reset, EMS on, report JSON, exit 0' {
    $r = Invoke-Repair
    $ExitCode | Should -Be 0
    $r.failed | Should -Be 0
    $r.disk | Should -Be 2
    $r.lun | Should -Be 0
    $r.controlSets | Should -Be @('ControlSet001', 'ControlSet002')
    (Get-Calls 'reg.exe import *').Count | Should -Be 2
    (Get-Calls 'icacls.exe * /grant *').Count | Should -Be 3
    (Get-Calls 'takeown.exe /f *MachineKeys*').Count | Should -Be 1
    (Get-Result 'serial-console').result | Should -Be 'changed'
    $M.HiveLoaded | Should -BeFalse
  }

  It 'runs every bcdedit command against the disk''s own store (Gen1 \boot\BCD, Gen2 \EFI\Microsoft\Boot\BCD)' {
    Invoke-Repair | Out-Null
    $bcd = Get-Calls 'bcdedit.exe *'
    $bcd.Count | Should -Be 5
    foreach ($c in $bcd) { $c | Should -BeLike "bcdedit.exe /store $($M.BootStore) *" }
    $bcd | Should -Contain "bcdedit.exe /store $($M.BootStore) /ems {default} on"
    $bcd | Should -Contain "bcdedit.exe /store $($M.BootStore) /emssettings EMSPORT:1 EMSBAUDRATE:115200"
    $Report.bootStore | Should -Be $M.BootStore
  }

  It 'mounts the letterless ([char]0) boot partition: Storage API, else mountvol on its volume path' {
    Invoke-Repair | Out-Null
    if ($Generation -eq 2) {
      (Get-Calls 'mountvol.exe * \\?\Volume{00000002-0001}\').Count | Should -Be 1
    } else {
      (Get-Calls 'Add-PartitionAccessPath 2/1 *').Count | Should -Be 1
      (Get-Calls 'mountvol.exe *').Count | Should -Be 0
    }
  }

  It 'a failing bcdedit command is reported, not ignored' {
    $M.Fail['bcdedit.exe * /ems *'] = $true
    $r = Invoke-Repair
    $ExitCode | Should -Be 1
    $expected = "*bcdedit.exe /store $($M.BootStore) /ems {default} on failed*"
    (Get-Result 'offline-repair').message | Should -BeLike $expected
  }

  It 'brings only the attached disk online, never another offline disk' {
    Invoke-Repair | Out-Null
    Should -Invoke Set-Disk -ParameterFilter { $Number -eq 2 -and $IsOffline -eq $false } -Times 1 -Exactly
    Should -Invoke Set-Disk -ParameterFilter { $Number -ne 2 } -Times 0 -Exactly
    ($M.Disks | Where-Object Number -eq 3).IsOffline | Should -BeTrue
  }

  It 'bound to a disk id and LUN: works only on the disk at that LUN and reports the id and the LUN it found' {
    $r = Invoke-Repair $BoundScriptPath
    $r.failed | Should -Be 0
    $r.diskId | Should -Be $BoundDiskId
    $r.lun | Should -Be 1
    $r.disk | Should -Be 3
    $r.osVolume | Should -Be ($M.Parts | Where-Object DiskNumber -eq 3).Dir
    Should -Invoke Set-Disk -ParameterFilter { $Number -ne 3 } -Times 0 -Exactly
    $hive = "$($r.osVolume)\Windows\System32\config\SYSTEM"
    (Get-Calls 'reg.exe load *') | Should -Be @("reg.exe load HKLM\BROKENSYSTEM $hive")
  }

  It 'bound to a LUN that holds no disk: refuses, changes nothing, still names the disk id it was given' {
    ($M.Disks | Where-Object Number -eq 3).Lun = 4
    $r = Invoke-Repair $BoundScriptPath
    $ExitCode | Should -Be 1
    (Get-Result 'offline-repair').message | Should -BeLike '*expected one attached data disk at LUN 1, found 0*'
    $r.diskId | Should -Be $BoundDiskId
    $r.lun | Should -BeNullOrEmpty
    $r.disk | Should -BeNullOrEmpty
    Should -Invoke Set-Disk -Times 0 -Exactly
    $M.Calls.Count | Should -Be 1 -Because 'only the stale-hive probe (reg.exe query) ran'
  }

  It 'refuses a disk whose signature collides with the rescue VM''s disk, changing nothing' {
    ($M.Disks | Where-Object Number -eq 2).OfflineReason = 'SignatureCollision'
    Invoke-Repair | Out-Null
    $ExitCode | Should -Be 1
    (Get-Result 'offline-repair').message | Should -BeLike '*collides*'
    Should -Invoke Set-Disk -Times 0 -Exactly
  }

  It 'searches Windows only on the attached disk (the other disk also has Windows)' {
    ($M.Disks | Where-Object Number -eq 3).IsOffline = $false
    ($M.Parts | Where-Object DiskNumber -eq 3).DriveLetter = [char]'G'
    $M.Letters['G'] = ($M.Parts | Where-Object DiskNumber -eq 3).Dir
    $r = Invoke-Repair
    $r.failed | Should -Be 0
    $r.osVolume | Should -Be $M.Windows
    $hive = "$($M.Windows)\Windows\System32\config\SYSTEM"
    (Get-Calls 'reg.exe load *') | Should -Be @("reg.exe load HKLM\BROKENSYSTEM $hive")
  }

  It 'backs up the hive with .LOG1/.LOG2 and the BCD store onto the repaired disk before loading the hive' {
    $r = Invoke-Repair
    $r.backup | Should -BeLike "$($M.Windows)\ProgramData\azure-rdp-guard\rescue-backup\*-1"
    foreach ($f in 'SYSTEM', 'SYSTEM.LOG1', 'SYSTEM.LOG2', 'BCD') {
      Test-Path -LiteralPath "$($r.backup)\$f" | Should -BeTrue -Because "$f is backed up"
    }
    Get-Content -LiteralPath "$($r.backup)\SYSTEM.LOG2" | Should -Be 'hive SYSTEM.LOG2 of disk2-windows'
    $M.BackupAtLoad | Should -Contain 'SYSTEM.LOG1'
    $M.BackupAtLoad | Should -Contain 'BCD'
    (Get-Calls "icacls.exe * /save $($r.backup)\MachineKeys.acl *").Count | Should -Be 1
    # Nothing lands on the rescue VM's own OS disk.
    @(Get-ChildItem -Recurse -LiteralPath $M.Rescue -Filter '*backup*').Count | Should -Be 0
  }

  It 'unloads the hive even when the import throws' {
    $M.Fail['reg.exe import *ControlSet002*'] = $true
    Invoke-Repair | Out-Null
    $ExitCode | Should -Be 1
    (Get-Result 'offline-repair').message | Should -BeLike '*reg.exe import*failed*'
    (Get-Calls 'reg.exe unload HKLM\BROKENSYSTEM').Count | Should -BeGreaterThan 0
    $M.HiveLoaded | Should -BeFalse
    (Get-Calls 'icacls.exe * /grant *').Count | Should -Be 0
  }

  It 'unloads the hive when it is not a SYSTEM hive (a throw before the import)' {
    $M.Current = $null
    Invoke-Repair | Out-Null
    (Get-Result 'offline-repair').message | Should -BeLike '*no Current value*'
    $M.HiveLoaded | Should -BeFalse
  }

  It 'retries a failing unload and reports it when it never succeeds' {
    $M.UnloadFailures = 2
    $r = Invoke-Repair
    $r.failed | Should -Be 0
    $M.HiveLoaded | Should -BeFalse
    $M.UnloadFailures = 99
    $M.HiveLoaded = $false
    $r = Invoke-Repair
    (Get-Result 'unload').result | Should -Be 'failed'
    $ExitCode | Should -Be 1
  }

  It 'unloads a hive left loaded by an earlier failed run before loading it again' {
    $M.HiveLoaded = $true
    $r = Invoke-Repair
    $r.failed | Should -Be 0
    (Get-Result 'stale-hive').result | Should -Be 'changed'
    Get-CallIndex 'reg.exe unload HKLM\BROKENSYSTEM' | Should -BeLessThan (Get-CallIndex 'reg.exe load *')
    Get-CallIndex 'reg.exe unload HKLM\BROKENSYSTEM' | Should -BeGreaterOrEqual 0
  }

  It 'runs every check before the first change: <Case>' -ForEach @(
    @{
      Case = 'no BCD store on the disk'; Message = '*no BCD store*'
      Break = { Remove-Item -LiteralPath ($M.BootStore -replace '\\', '/') }
    }
    @{
      Case = 'no MachineKeys folder'; Message = '*MachineKeys does not exist*'
      Break = { Remove-Item -Recurse -LiteralPath "$($M.Windows)/ProgramData/Microsoft/Crypto" }
    }
    @{
      Case = 'no Windows volume'; Message = '*expected one Windows volume on disk 2, found 0*'
      Break = { Remove-Item -LiteralPath "$($M.Windows)/Windows/System32/config/SYSTEM" }
    }
    @{
      Case = 'no disk at LUN 0'; Message = '*expected one attached data disk at LUN 0, found 0*'
      Break = { ($M.Disks | Where-Object Number -eq 2).Lun = 5 }
    }
  ) {
    & $Break
    Invoke-Repair | Out-Null
    $ExitCode | Should -Be 1
    (Get-Result 'offline-repair').message | Should -BeLike $Message
    (Get-Calls 'reg.exe load *').Count | Should -Be 0
    (Get-Calls 'icacls.exe *').Count | Should -Be 0
    (Get-Calls 'takeown.exe *').Count | Should -Be 0
    (Get-Calls 'bcdedit.exe *').Count | Should -Be 0
    @(Get-ChildItem -Recurse -LiteralPath $MachineDir -Filter 'rescue-backup').Count | Should -Be 0
  }

  It 'imports only into control sets that exist, including the one Select\Current names' {
    $M.Current = 3
    $M.ControlSets = @('ControlSet001', 'ControlSet003')
    $r = Invoke-Repair
    $r.controlSets | Should -Be @('ControlSet001', 'ControlSet003')
    $files = Get-Calls 'reg.exe import *' | ForEach-Object { ($_ -split ' ', 3)[2] }
    $files.Count | Should -Be 2
    $text = Get-Content -Raw -LiteralPath $files[1] -Encoding Unicode
    $text | Should -Match '\\ControlSet003\\Control\\Terminal Server'
    $text | Should -Not -Match 'ControlSet001'
  }

  It 'imports into a real SYSTEM hive file: only the existing control sets, after backing up the original' {
    $file = "$($M.Windows)/Windows/System32/config/SYSTEM"
    Copy-Item -LiteralPath $HivePath -Destination $file -Force
    $seed = "$MachineDir/seed.reg"
    $keys = 'Select', 'ControlSet001', 'ControlSet003'
    $sections = $keys | ForEach-Object { "[HKEY_LOCAL_MACHINE\BROKENSYSTEM\$_]`r`n" }
    $text = "Windows Registry Editor Version 5.00`r`n`r`n" + ($sections -join "`r`n")
    Set-Content -LiteralPath $seed -Value $text -NoNewline
    & hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\BROKENSYSTEM' $file $seed
    $LASTEXITCODE | Should -Be 0
    $M.RealHive = $true
    $M.Current = 3
    $M.ControlSets = @('ControlSet001', 'ControlSet003')
    $r = Invoke-Repair
    $r.failed | Should -Be 0
    $rdp = 'Control\Terminal Server\WinStations\RDP-Tcp'
    foreach ($cs in 'ControlSet001', 'ControlSet003') {
      & hivexget $file "\$cs\$rdp" 'UserAuthentication' | Should -Be '1'
      & hivexget $file "\$cs\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server" 'Enabled' | Should -Be '1'
    }
    & hivexget $file "\ControlSet002\$rdp" 'UserAuthentication' 2>$null
    $LASTEXITCODE | Should -Not -Be 0 -Because 'no partial ControlSet002 is created'
    & hivexget "$($r.backup -replace '\\', '/')/SYSTEM" "\ControlSet001\$rdp" 'UserAuthentication' 2>$null
    $LASTEXITCODE | Should -Not -Be 0 -Because 'the backup is the hive before the import'
  }

  It 'adds a dedicated dump file when the page file is not on C: (Azure puts it on D:), and not otherwise' {
    Invoke-Repair | Out-Null
    $add = 'reg.exe add HKLM\BROKENSYSTEM\ControlSet00?\Control\CrashControl /v DedicatedDumpFile /t REG_SZ'
    (Get-Calls "$add /d C:\DedicatedDump.sys /f").Count | Should -Be 2
    New-Machine -Generation $Generation
    $M.PagingFiles = 'C:\pagefile.sys 0 0'
    Invoke-Repair | Out-Null
    (Get-Calls 'reg.exe add *DedicatedDumpFile*').Count | Should -Be 0
  }

  It 'without serial console it needs no boot store and runs no bcdedit' {
    Remove-Item -LiteralPath ($M.BootStore -replace '\\', '/')
    $r = Invoke-Repair $NoSerialScriptPath
    $r.failed | Should -Be 0
    (Get-Calls 'bcdedit.exe *').Count | Should -Be 0
    (Get-Calls 'icacls.exe * /grant *').Count | Should -Be 0
  }
}
